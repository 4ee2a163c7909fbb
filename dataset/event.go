package dataset

import "fmt"

// Button is the mouse button a row names.
type Button uint8

// Buttons. DFL writes the no-button value as both "NoButton" and "Nobutton".
const (
	NoButton Button = iota
	Left
	Right
	Middle
	Scroll
)

var buttonNames = [...]string{"NoButton", "Left", "Right", "Middle", "Scroll"}

func (b Button) String() string {
	if int(b) < len(buttonNames) {
		return buttonNames[b]
	}
	return fmt.Sprintf("Button(%d)", b)
}

// State is what the row says happened.
type State uint8

// States. DFL writes scroll rows with the misspelt state "Scrool" (and y
// repeating x); it is kept as its own state so the segmenter can apply the
// rule "a scroll row takes the previous row's x, y".
const (
	Move State = iota
	Pressed
	Released
	Drag
	Down   // wheel down (Balabit)
	Up     // wheel up (Balabit)
	Scrool // DFL's scroll row: "Nobutton,Scrool,x,x"
)

var stateNames = [...]string{"Move", "Pressed", "Released", "Drag", "Down", "Up", "Scrool"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// Event is one row of a mouse log. T is the client timestamp in seconds since
// the session started (DFL's integer milliseconds are divided by 1000), so
// features are in pixels and seconds whatever the source format.
type Event struct {
	T      float64
	X, Y   int32
	Button Button
	State  State
}

// Format is a log file format.
type Format uint8

// Formats.
const (
	FormatUnknown Format = iota
	// FormatDFL: client timestamp,button,state,x,y (integer milliseconds).
	FormatDFL
	// FormatBalabit: record timestamp,client timestamp,button,state,x,y (seconds).
	FormatBalabit
)

func (f Format) String() string {
	switch f {
	case FormatDFL:
		return "dfl"
	case FormatBalabit:
		return "balabit"
	}
	return "unknown"
}

// Session identifies one recorded session: one log file of one user.
type Session struct {
	User string // folder name, e.g. "user12" or "User3"
	ID   string // file name without extension, e.g. "session_2144641057"
	Path string
}
