# shellcheck shell=bash
# Usage text and argument errors of the deploy/ scripts. A script's usage is its header
# comment: the comment lines after the shebang, up to the first line that is not a comment.
# Sourced by every script under deploy/ before it does anything else, so that `--help` and a
# wrong argument never have an effect.

# fg_usage SCRIPT — prints the header comment of SCRIPT without the leading "# ".
fg_usage() {
  sed -n '2,/^[^#]/{/^#/p}' "$1" | sed 's/^# \{0,1\}//'
}

# fg_usage_error SCRIPT MESSAGE — prints "error: MESSAGE" and the usage on stderr, exits 2.
fg_usage_error() {
  printf 'error: %s\n\n' "$2" >&2
  fg_usage "$1" >&2
  exit 2
}
