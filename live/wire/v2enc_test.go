package wire

// Version 2 encoders, for the tests only: the scorer writes version 3
// decisions and alerts, but tests and the test vectors build version 2
// ones to check that they are still decoded and verified (old topics).

// signDecisionV2 encodes l as a version 2 decision, for the tests of the
// decoders and the test vectors only: the scorer writes version 3.
func signDecisionV2(l LegacyDecision, key SessionKey) ([]byte, error) {
	l.Score, l.Mean, l.Threshold = canonicalZero(l.Score), canonicalZero(l.Mean), canonicalZero(l.Threshold)
	if err := checkDecision(l.decision()); err != nil {
		return nil, err
	}
	if err := checkLegacy(l); err != nil {
		return nil, err
	}
	m := decisionMACV2(l, key)
	return marshalJSON(decisionJSONV2{V: Version2, Kind: kindNameDecision, User: l.User, Session: l.Session, Seq: l.Seq,
		Accept: l.Accept, Alert: l.Alert, Reason: l.Reason, Score: l.Score, Mean: l.Mean, Window: l.Window,
		Threshold: l.Threshold, ModelVersion: l.ModelVersion, Sent: l.Sent.UTC(), ServiceNanos: l.ServiceNanos,
		Redelivered: l.Redelivered, MAC: m[:]})
}

// marshalAlertV2 encodes a as a version 2 alert, for the tests of the
// decoders and the test vectors only.
func marshalAlertV2(a Alert) ([]byte, error) {
	if err := checkAlert(a); err != nil {
		return nil, err
	}
	return marshalJSON(alertJSONV2{V: Version2, Kind: kindNameAlert, User: a.User, Session: a.Session, Seq: a.Seq,
		Mean: canonicalZero(a.Mean), Threshold: canonicalZero(a.Threshold), Window: a.Window, At: a.At.UTC()})
}
