package idempotency

import (
	"encoding/binary"
	"errors"
	"slices"
)

// Response is what a guarded request answered, as the store keeps it:
// transport-agnostic, so HTTP (status, selected headers, body) and gRPC
// (status code, marshalled reply or status) use the same Guard and stores.
type Response struct {
	// Code is the HTTP status or the gRPC status code.
	Code int
	// Header holds the response fields to replay (HTTP headers, gRPC
	// metadata). The adapter chooses which are kept: never cookies or other
	// secrets.
	Header map[string][]string
	// Body is the response's body, or the marshalled reply or status.
	Body []byte
	// BodyOmitted is set when the body was larger than the Guard's storable
	// limit (WithMaxStoredBytes): the request ran once and its first answer
	// had the whole body, but the store keeps only Code and Header. A replay
	// says so rather than running the request again.
	BodyOmitted bool
	// BodySize is the body's size in bytes when BodyOmitted, if known (-1 if not).
	BodySize int64
}

// encodingVersion is the first byte of every stored response, so a future
// layout can be told from this one.
const encodingVersion = 1

const flagOmitted = 1

// encode appends r's stored form to b: version, flags, code, body size when
// omitted, the header fields (sorted, so equal responses encode equally),
// then the body.
func (r *Response) encode(b []byte) []byte {
	var flags byte
	if r.BodyOmitted {
		flags |= flagOmitted
	}
	b = append(b, encodingVersion, flags)
	b = binary.AppendVarint(b, int64(r.Code))
	if r.BodyOmitted {
		b = binary.AppendVarint(b, r.BodySize)
	}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendString(b, k)
		vs := r.Header[k]
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	if !r.BodyOmitted {
		b = append(b, r.Body...)
	}
	return b
}

// encodedSizeHint is about what encode appends, so it allocates once.
func (r *Response) encodedSizeHint() int {
	n := 16 + len(r.Body)
	for k, vs := range r.Header {
		n += len(k) + 2
		for _, v := range vs {
			n += len(v) + 2
		}
	}
	return n
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("idempotency: stored response is corrupt")

// decodeResponse reads a stored response. Its Body aliases b.
func decodeResponse(b []byte) (*Response, error) {
	if len(b) < 2 || b[0] != encodingVersion {
		return nil, errCorrupt
	}
	r := &Response{BodyOmitted: b[1]&flagOmitted != 0}
	d := decoder{b: b[2:]}
	r.Code = int(d.varint())
	if r.BodyOmitted {
		r.BodySize = d.varint()
	}
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		r.Header = make(map[string][]string, n)
		for range n {
			k := d.str()
			m := d.uvarint()
			if d.err != nil || m > uint64(len(d.b)) {
				return nil, errCorrupt
			}
			vs := make([]string, 0, m)
			for range m {
				vs = append(vs, d.str())
			}
			r.Header[k] = vs
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if !r.BodyOmitted && len(d.b) > 0 {
		r.Body = d.b
	}
	return r, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
