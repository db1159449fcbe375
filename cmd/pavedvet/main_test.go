package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModes builds pavedvet and runs it the two ways the docs give, on a
// module with one finding: alone (exit 3, like every go/analysis checker
// with findings) and as go vet's -vettool.
func TestModes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pavedvet")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	mod := filepath.Join(dir, "mod")
	require.NoError(t, os.MkdirAll(mod, 0o755))
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644))
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("m.go", `package m

import "net/http"

var C = &http.Client{}
`)
	write("ok.go", `package m

import (
	"net/http"
	"time"
)

var D = &http.Client{Timeout: time.Second}
`)

	alone := exec.Command(bin, "./...")
	alone.Dir = mod
	out, err = alone.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	require.Equal(t, 3, exit.ExitCode(), "%s", out)
	require.Equal(t, 1, strings.Count(string(out), "RS-1: http.Client without a Timeout"), "%s", out)
	require.Contains(t, string(out), "m.go:5:")

	vet := exec.Command("go", "vet", "-vettool="+bin, "./...")
	vet.Dir = mod
	out, err = vet.CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), "RS-1: http.Client without a Timeout")

	// A package with in-package tests: go vet analyses it with its
	// _test.go files, whose "testing" import must not make it pass for
	// test support, which pavedvet skips.
	write("m_test.go", `package m

import "testing"

func TestM(t *testing.T) {}
`)
	vet = exec.Command("go", "vet", "-vettool="+bin, "./...")
	vet.Dir = mod
	out, err = vet.CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), "RS-1: http.Client without a Timeout", "a package with in-package tests is still checked")
	require.NoError(t, os.Remove(filepath.Join(mod, "m_test.go")))

	fix := exec.Command(bin, "-fix", "./...")
	fix.Dir = mod
	_, _ = fix.CombinedOutput()
	fixed, err := os.ReadFile(filepath.Join(mod, "m.go"))
	require.NoError(t, err)
	require.Contains(t, string(fixed), "Timeout: 10 * time.Second")
	clean := exec.Command(bin, "./...")
	clean.Dir = mod
	out, err = clean.CombinedOutput()
	require.NoError(t, err, "after -fix the module is clean: %s", out)
}
