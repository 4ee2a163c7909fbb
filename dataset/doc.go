// Package dataset reads mouse logs (DFL and Balabit formats) into
// [Event] values, walks user/session folder layouts, cleans logs with a
// count of every dropped row and why, and synthesizes DFL-format logs from a
// generative model of pointing movements. It is the first stage of the
// pipeline: it imports no other mouseauth package.
package dataset
