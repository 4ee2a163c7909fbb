package live_test

import (
	"encoding/binary"
	"encoding/json"

	"github.com/mouseauth/mouseauth/live/wire"
)

// Version 1 records, which nothing writes any more, for the tests that
// send them and check the service refuses them: a login with its password
// in clear, a vector without a MAC (the format: live/wire/v1.go).

func v1Login(l wire.Login) []byte {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err)
	}
	return append([]byte{wire.Magic, 1, byte(wire.KindLogin)}, b...)
}

// v1Vector is v's version 1 encoding; its values are all zero.
func v1Vector(v wire.Vector) []byte {
	p := []byte{wire.Magic, 1, byte(wire.KindVector)}
	p = binary.BigEndian.AppendUint16(p, uint16(len(v.User)))
	p = append(p, v.User...)
	p = binary.BigEndian.AppendUint16(p, uint16(len(v.Session)))
	p = append(p, v.Session...)
	p = binary.BigEndian.AppendUint64(p, uint64(v.Seq))
	p = binary.BigEndian.AppendUint64(p, uint64(v.Sent.UnixNano()))
	p = binary.BigEndian.AppendUint16(p, uint16(len(v.Values)))
	return append(p, make([]byte, 8*len(v.Values))...)
}
