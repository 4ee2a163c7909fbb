package wire

import (
	"encoding/binary"
	"encoding/json"
	"math"
)

// Version 1 encoders, for the tests only: nothing writes version 1 any
// more, but tests build version 1 records to check that they are decoded
// (old topics) or refused (the service, version 2 decoders).

func encodeV1JSON(k Kind, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are encoded
	}
	return append([]byte{Magic, Version, byte(k)}, b...)
}

func encodeV1Login(l Login) []byte             { return encodeV1JSON(KindLogin, l) }
func encodeV1Decision(d LegacyDecision) []byte { return encodeV1JSON(KindDecision, d) }
func encodeV1Alert(a Alert) []byte             { return encodeV1JSON(KindAlert, a) }
func encodeV1DeadLetter(x DeadLetter) []byte   { return encodeV1JSON(KindDeadLetter, x) }

// encodeV1Vector encodes v in version 1's binary form.
func encodeV1Vector(v Vector) []byte {
	dst := []byte{Magic, Version, byte(KindVector)}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v.User)))
	dst = append(dst, v.User...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v.Session)))
	dst = append(dst, v.Session...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.Seq))
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.Sent.UnixNano()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v.Values)))
	for _, x := range v.Values {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}
