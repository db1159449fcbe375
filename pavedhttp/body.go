package pavedhttp

import (
	"io"

	"github.com/paved-go/paved"
)

// releaseOnClose wraps the final response's body so that closing it releases
// the attempt (paved.Attempt.Release): what a policy held for the winning
// attempt, such as its timeout's cancel func, lasts until the caller is done
// reading. A body that can also be written (a 101 Switching Protocols
// response) stays writable.
func releaseOnClose(body io.ReadCloser, a *paved.Attempt) io.ReadCloser {
	if body == nil {
		a.Release()
		return nil
	}
	if rw, ok := body.(io.ReadWriteCloser); ok {
		return &releaseRWBody{releaseBody{ReadCloser: rw, a: a}, rw}
	}
	return &releaseBody{ReadCloser: body, a: a}
}

type releaseBody struct {
	io.ReadCloser
	a *paved.Attempt
}

// Close closes the body, then releases the attempt. Safe to call twice.
func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.a.Release()
	return err
}

type releaseRWBody struct {
	releaseBody
	w io.Writer
}

func (b *releaseRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }
