package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
)

// The reference decoder for other languages, scripts/wire_decode.py, must
// agree with the Go code: on the published vectors, on tampered copies of
// them, and on random messages.

const pyDecoder = "../../scripts/wire_decode.py"

func python(t *testing.T, args ...string) (string, int) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		testutil.SkipOrFail(t, "python3 is not installed: the reference decoder cannot be checked")
	}
	cmd := exec.Command(py, append([]string{pyDecoder}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err != nil {
		if x, ok := err.(*exec.ExitError); ok {
			return out.String(), x.ExitCode()
		}
		t.Fatal(err)
	}
	return out.String(), 0
}

func TestPythonDecoderChecksVectors(t *testing.T) {
	t.Parallel()
	out, code := python(t, "check", vectorsFile)
	if code != 0 || !strings.Contains(out, "checks passed") {
		t.Fatalf("wire_decode.py check: exit %d\n%s", code, out)
	}
	t.Log(strings.TrimSpace(out))
}

// TestPythonDecoderRefusesTampering: the reference decoder is a check that
// can fail: each tampered copy of the vectors file must fail it.
func TestPythonDecoderRefusesTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*tvFile)
		want   string
	}{
		{"vector MAC", func(f *tvFile) {
			m := []byte(f.Vectors[0].Message)
			m[len(m)-1] ^= 1 // a hex digit of the MAC
			f.Vectors[0].Message = string(m)
		}, "refused (bad mac)"},
		{"vector value", func(f *tvFile) { f.Vectors[0].ValuesBits[3] = "0000000000000000" }, "values differ"},
		{"decision accept", func(f *tvFile) {
			f.Decisions[2].Message = strings.Replace(f.Decisions[2].Message, `"accept":true`, `"accept":false`, 1)
		}, "refused (bad mac)"},
		{"decision MAC input", func(f *tvFile) { f.Decisions[0].MACInput = "00" + f.Decisions[0].MACInput[2:] }, "MAC input or MAC differ"},
		{"invalid accepted", func(f *tvFile) { f.Invalid[0].Message = f.Vectors[0].Message }, "accepted"},
		{"invalid class", func(f *tvFile) { f.Invalid[4].Class = "bad mac" }, "refused as malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := loadVectors(t)
			tc.mutate(&f)
			path := writeVectors(t, f)
			out, code := python(t, "check", path)
			if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, tc.want) {
				t.Fatalf("tampered file: exit %d, want 1 and %q\n%s", code, tc.want, out)
			}
		})
	}
}

func writeVectors(t *testing.T, f tvFile) string {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vectors.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPythonDecoderAgreesOnRandomMessages signs random vectors and
// decisions in Go (random names, bit patterns, times) and has the
// reference decoder decode them, check every field and verify every MAC.
func TestPythonDecoderAgreesOnRandomMessages(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	f := loadVectors(t)
	f.Vectors, f.Decisions, f.Logins, f.Alerts, f.DeadLetters, f.Invalid = nil, nil, []tvLogin{}, []tvPlain{}, []tvPlain{}, []tvInvalid{}
	name := func() string {
		alphabet := []rune("abcxyz019-_.:@ é漢字😀\"\\<>&\u2028\u00a0")
		n := 1 + r.IntN(20)
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	float := func() float64 {
		for {
			var x float64
			switch r.IntN(4) {
			case 0:
				x = math.Float64frombits(r.Uint64()) // any bit pattern: subnormals, huge, -0
			case 1:
				x = r.Float64()
			case 2:
				x = math.Copysign(0, -1)
			default:
				x = float64(r.IntN(100))
			}
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				return x
			}
		}
	}
	when := func() time.Time { return time.Unix(0, r.Int64()-r.Int64()) }
	for i := range 200 {
		v := Vector{User: name(), Session: name(), Seq: r.Int64(), Sent: when(), Values: make([]float64, r.IntN(60))}
		for j := range v.Values {
			v.Values[j] = float()
		}
		p := mustSignVector(t, v, tvSession)
		tv := tvVector{Name: "random " + string(rune('a'+i%26)), User: v.User, Session: v.Session, Seq: v.Seq, SentNs: v.Sent.UnixNano(),
			ValuesBits: []string{}, MACInput: hexOf(append([]byte(LabelVectorMAC), p[:len(p)-MACSize]...)), MAC: hexOf(p[len(p)-MACSize:]), Message: hexOf(p)}
		for _, x := range v.Values {
			tv.ValuesBits = append(tv.ValuesBits, hexOf(appendF64(nil, x)))
		}
		f.Vectors = append(f.Vectors, tv)

		if i%2 == 0 {
			d := Decision{User: name(), Session: name(), Seq: r.Int64N(1<<40) - 1, Accept: r.IntN(2) == 0, Alert: r.IntN(2) == 0,
				Redelivered: r.IntN(2) == 0, Sent: when(), ServiceNanos: r.Int64N(1 << 50)}
			d.Closed = d.Alert || (!d.Accept && r.IntN(2) == 0)
			d.Accept = d.Accept && !d.Closed
			if r.IntN(2) == 0 {
				d.Reason = name()
			}
			q := mustSignDecision(t, d, tvSession)
			s, err := ParseDecision(q)
			if err != nil {
				t.Fatal(err)
			}
			f.Decisions = append(f.Decisions, tvDecision{Name: "random", MACInput: hexOf(appendDecisionMACInput(nil, s.Unverified)),
				MAC: hexOf(s.mac[:]), Message: string(q)})
			continue
		}
		l := LegacyDecision{User: name(), Session: name(), Seq: r.Int64N(1<<40) - 1, Accept: r.IntN(2) == 0, Alert: r.IntN(2) == 0,
			Redelivered: r.IntN(2) == 0, Score: float(), Mean: float(), Window: r.IntN(1000), Threshold: float(),
			ModelVersion: r.IntN(50), Sent: when(), ServiceNanos: r.Int64N(1 << 50)}
		if r.IntN(2) == 0 {
			l.Reason = name()
		}
		q := mustSignLegacy(t, l, tvSession)
		s, err := ParseDecision(q)
		if err != nil {
			t.Fatal(err)
		}
		f.Decisions = append(f.Decisions, tvDecision{Name: "random version 2", MACInput: hexOf(appendDecisionMACInputV2(nil, *s.Legacy)),
			MAC: hexOf(s.mac[:]), Message: string(q)})
	}
	out, code := python(t, "check", writeVectors(t, f))
	if code != 0 || !strings.Contains(out, "400 checks passed") {
		t.Fatalf("wire_decode.py disagrees with Go on random messages: exit %d\n%s", code, out)
	}
}

func appendF64(b []byte, x float64) []byte {
	u := math.Float64bits(x)
	return append(b, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

// TestPythonDecoderDecodesOneMessage runs the decode command the way an
// operator would, on a vector from stdin-like file input, with the key.
func TestPythonDecoderDecodesOneMessage(t *testing.T) {
	t.Parallel()
	p := mustSignVector(t, sample2(), tvSession)
	path := filepath.Join(t.TempDir(), "vector.bin")
	if err := os.WriteFile(path, p, 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := python(t, "decode", "--key", hexOf(tvSession[:]), path)
	var got struct {
		User        string    `json:"user"`
		Seq         int64     `json:"seq"`
		Values      []float64 `json:"values"`
		MACVerified bool      `json:"mac_verified"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.User != "user7" || got.Seq != 41 || len(got.Values) != 39 || !got.MACVerified {
		t.Fatalf("decode: exit %d\n%s", code, out)
	}
	out, code = python(t, "decode", "--key", hexOf(keyB[:]), path)
	if code != 1 || !strings.Contains(out, "refused (bad mac)") {
		t.Fatalf("decode with the wrong key: exit %d\n%s", code, out)
	}
}
