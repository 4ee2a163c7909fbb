package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/wire"
)

// Enrolment is one user's registration: first factor and first model.
type Enrolment struct {
	User, Department string
	Password         string // hashed with argon2id here; never stored
	Model            []byte // classify model file bytes; nil keeps the stored one
	// Decision, when set, is the decision policy to record in Model
	// (classify.Header.Decision, checked with decide.ParsePolicy),
	// replacing the model's own; "" keeps the model's (a model without one
	// is decided by decide.DefaultPolicy).
	Decision string
	Now      time.Time
	// Argon2 overrides DefaultArgon2 (load tests enrol thousands of users).
	Argon2 *Argon2Params
}

// Enroll stores the credential (replacing an older one, with no failures)
// and, when given, the model as version 1. A user who already has a model
// keeps it, and Enroll reports kept = true. A user name the message
// format refuses ([wire.CheckUser]: control characters, invalid UTF-8,
// empty or too long), and a model that [CheckModel] refuses, are refused
// before anything is stored.
func Enroll(ctx context.Context, creds store.Credentials, models store.Models, e Enrolment) (kept bool, err error) {
	if err := wire.CheckUser(e.User); err != nil {
		return false, fmt.Errorf("enroll %q: %w", e.User, err)
	}
	if e.Model != nil {
		sm, err := CheckModel(e.Model)
		if err != nil {
			return false, fmt.Errorf("enroll %s: %w", e.User, err)
		}
		if e.Decision != "" {
			if e.Model, err = WithDecision(sm, e.Decision); err != nil {
				return false, fmt.Errorf("enroll %s: %w", e.User, err)
			}
		}
	} else if e.Decision != "" {
		return false, fmt.Errorf("enroll %s: a decision policy is recorded in a model, and none is given", e.User)
	}
	params := DefaultArgon2
	if e.Argon2 != nil {
		params = *e.Argon2
	}
	hash, err := HashPassword(e.Password, params)
	if err != nil {
		return false, err
	}
	if err := creds.PutCredential(ctx, store.Credential{User: e.User, Department: e.Department, Hash: hash}); err != nil {
		return false, fmt.Errorf("enroll %s: %w", e.User, err)
	}
	if e.Model == nil {
		return true, nil
	}
	err = models.PutModel(ctx, store.Model{User: e.User, Version: 1, Data: e.Model, Created: e.Now})
	if errors.Is(err, store.ErrVersionExists) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("enroll %s: %w", e.User, err)
	}
	return false, nil
}

// NewPassword returns a random 128-bit password (for generated accounts).
func NewPassword() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
