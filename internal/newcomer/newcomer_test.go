package newcomer_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeCommands returns the commands of the README's "Two commands"
// section: the first fenced block's line, and the line of the block after
// the ci:test-command marker.
func readmeCommands(t *testing.T, readme string) (run, test string) {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Two commands\n")
	require.True(t, ok, "README.md has no \"## Two commands\" section")
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var blocks []string
	var marked int = -1
	in := false
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```") && !in:
			in = true
			blocks = append(blocks, "")
		case strings.HasPrefix(line, "```"):
			in = false
		case in:
			blocks[len(blocks)-1] += strings.TrimSpace(line)
		case strings.Contains(line, "<!-- ci:test-command -->"):
			marked = len(blocks)
		}
	}
	require.GreaterOrEqual(t, len(blocks), 2, "the section gives two commands")
	require.GreaterOrEqual(t, marked, 0, "the test command is marked <!-- ci:test-command -->")
	require.Less(t, marked, len(blocks))
	return blocks[0], blocks[marked]
}

func TestNewcomer(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout: nothing to clone")
	}
	root := strings.TrimSpace(string(top))
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	run, test := readmeCommands(t, string(readme))
	assert.Equal(t, "go run ./examples/quickstart", run)
	assert.Equal(t, "go test -race ./...", test)

	// A fresh clone of what is committed: files that exist only in this
	// working tree do not help a newcomer.
	clone := filepath.Join(t.TempDir(), "paved")
	out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", root, clone).CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	sh := func(command string) string {
		t.Helper()
		f := strings.Fields(command)
		cmd := exec.CommandContext(ctx, f[0], f[1:]...)
		cmd.Dir = clone
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s in a fresh clone:\n%s", command, out)
		return string(out)
	}
	got := sh(run)
	assert.Contains(t, got, "call 9: GET /down", "the quick start tells its whole story")

	// The test command runs in full in CI from the repository itself; here
	// it runs from the clone over the quick start's package, which shows a
	// clone has everything the tests need. PAVED_NEWCOMER_FULL=1 runs it
	// over every package.
	scoped := strings.Replace(test, "./...", "./examples/quickstart/...", 1)
	if os.Getenv("PAVED_NEWCOMER_FULL") == "1" {
		scoped = test
	}
	assert.Contains(t, sh(scoped), "ok")
}
