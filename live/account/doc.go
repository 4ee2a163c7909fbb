// Package account registers the users of the live pipeline: their first
// factor (a password, kept only as an argon2id hash) and their model (the
// second). The scoring service uses it to verify passwords and to retrain;
// `mouseauth live enroll`, replay and bench use it to enrol users.
//
//   - Passwords: [HashPassword] makes a PHC-format argon2id hash with a
//     random salt ([DefaultArgon2]: 19 MiB, 2 passes, 1 lane, OWASP's
//     second set); [VerifyPassword] checks one in constant time and refuses
//     a stored hash that is not argon2id ([ErrBadHash]); [HashCost] says
//     what checking against a hash costs, in checks of the defaults (the
//     service's login budgets count in it); [NewPassword] generates a
//     128-bit password for generated accounts.
//   - Models: [CheckModel] loads model file bytes as the service will and
//     refuses a model whose features are not preprocess.FeatureNames in
//     order ([ErrModelSchema]); [TrainModel] trains a user's model on the
//     user's vectors against other users' with classify.TrainUser, by the
//     training settings of a classify preset (the improved one unless
//     told: what the evaluation recommends), seeded by (seed, user,
//     version), so a retraining is reproducible. The model records its
//     guard ([PhysicalBounds], the user's range) and a decision policy
//     (decide.Policy's text; [WithDecision] replaces it).
//   - [Enroll] stores an [Enrolment]: the credential (replacing an older
//     one, failures reset) and, when given, the model as version 1, with
//     the decision policy given recorded in it; a user who has a model
//     keeps it. A user name the message format refuses (wire.CheckUser: a
//     control character, invalid UTF-8, empty or over 256 bytes) and a
//     model CheckModel refuses store nothing.
//
// [Check] is the guard the scoring service applies to a vector before its
// score counts: the model's own (classify.SavedModel.Check). A model of
// format version 2 or older (before the guard) has no physical bounds,
// range or policy: Check applies the pipeline's physical bounds
// (preprocess.Plausible) in their place, and its sessions are decided by
// decide.DefaultPolicy. [Flags] turns a check into the decision engine's
// flags.
//
// It never stores a plain password and never stores a model version other
// than 1: the service picks later versions and stores them itself, and
// counts failed logins in the store (store.Credentials.RecordFailure).
// It consumes feature vectors and model bytes and writes through the
// store interfaces only, so it works with every backend.
package account
