#!/usr/bin/env bash
# release-check: is this tree releasable? Publishes nothing. `make release-check`.
#   1. go install: the committed tree (git archive HEAD) installs with an empty
#      GOPATH, as `go install github.com/stomp-cli/stomp@vX.Y.Z` would, without
#      go.mod or go.sum needing changes and without replace directives.
#   2. the man pages are current (the scripts/manpage test).
#   3. goreleaser check: .goreleaser.yaml is valid.
#   4. goreleaser release --snapshot --clean: every platform's binary, the
#      archives, checksums and .deb/.rpm packages in dist/, and their contents
#      checked (RELEASE_CHECK_FAST=1: goreleaser build --snapshot --single-target,
#      this platform's binary only).
# Knobs:
#   GORELEASER=path          the goreleaser to use (default: PATH, then $(go env GOPATH)/bin)
#   RELEASE_CHECK_OPTIONAL=1 goreleaser missing is not a failure (steps 3-4 skipped, said so)
#   RELEASE_CHECK_FAST=1     build only this platform's binary, no archives or packages
#   RELEASE_CHECK_SKIP_INSTALL=1  skip step 1 (it downloads every dependency into a fresh cache)
# Install goreleaser with: go install github.com/goreleaser/goreleaser/v2@v2.16.0
# (later versions may need a newer Go than the one here).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
GO=${GO:-go}

step() { echo; echo "==> $*"; }
fail() { echo "release-check: FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
made_dirs=()
cleanup() {
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
	for d in "${made_dirs[@]+"${made_dirs[@]}"}"; do rm -rf "${ROOT:?}/$d"; done
}
trap cleanup EXIT

# 1. go install from a clean copy of HEAD.
if [ "${RELEASE_CHECK_SKIP_INSTALL:-}" != 1 ]; then
	step "go install from a clean copy of HEAD ($(git rev-parse --short HEAD)) with an empty GOPATH"
	if grep -Eq '^[[:space:]]*replace([[:space:]]|\()' go.mod; then
		fail "go.mod has replace directives: go install github.com/stomp-cli/stomp@version refuses them"
	fi
	mkdir -p "$tmp/src" "$tmp/gopath"
	git archive HEAD | tar -x -C "$tmp/src"
	cp "$tmp/src/go.mod" "$tmp/go.mod.orig"
	cp "$tmp/src/go.sum" "$tmp/go.sum.orig" 2>/dev/null || : >"$tmp/go.sum.orig"
	goenv=(env GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" GOBIN=)
	# What `go install module@version` does: build with go.mod and go.sum as
	# they are, refusing any change they would need.
	(cd "$tmp/src" && "${goenv[@]}" GOFLAGS="-mod=readonly -modcacherw" "$GO" build -o /dev/null .) ||
		fail "HEAD does not build with -mod=readonly: go.mod or go.sum lacks something (go get it and commit); go install github.com/stomp-cli/stomp@version would fail the same way"
	(cd "$tmp/src" && "${goenv[@]}" GOFLAGS="-mod=mod -modcacherw" "$GO" install .) ||
		fail "go install . failed in a clean copy of HEAD"
	[ -x "$tmp/gopath/bin/stomp" ] || fail "go install . produced no $tmp/gopath/bin/stomp"
	echo "installed: $("$tmp/gopath/bin/stomp" --version)"
	if ! cmp -s "$tmp/go.sum.orig" "$tmp/src/go.sum"; then
		fail "building HEAD needed go.sum entries it lacks: commit go.sum"
	fi
	if ! cmp -s "$tmp/go.mod.orig" "$tmp/src/go.mod"; then
		echo "note: with -mod=mod, go rewrote go.mod (usually only which requirements are marked // indirect):"
		diff -u "$tmp/go.mod.orig" "$tmp/src/go.mod" | grep '^[-+][^-+]' || true
	fi
	echo "ok: HEAD builds with go.mod and go.sum as committed; no replace directives"
fi

# 2. man pages.
step "man pages current (make man)"
"$GO" test -count=1 -run 'TestManPagesUpToDate|TestGroffWarnings' ./scripts/manpage

# 3-4. goreleaser.
gr=${GORELEASER:-$(command -v goreleaser || true)}
if [ -z "$gr" ] && [ -x "$("$GO" env GOPATH)/bin/goreleaser" ]; then
	gr=$("$GO" env GOPATH)/bin/goreleaser
fi
if [ -z "$gr" ]; then
	msg="goreleaser is not installed: .goreleaser.yaml NOT checked and no snapshot built.
Install it with: go install github.com/goreleaser/goreleaser/v2@v2.16.0"
	if [ "${RELEASE_CHECK_OPTIONAL:-}" = 1 ]; then
		echo; echo "release-check: SKIPPED: $msg" >&2
		exit 0
	fi
	fail "$msg
(RELEASE_CHECK_OPTIONAL=1 makes this a warning)"
fi

step "goreleaser check ($("$gr" --version 2>/dev/null | awk '/^GitVersion:/ {print $2}'))"
"$gr" check

# The before hooks write completions/ and manpages/ here; remove them after
# unless they were already there.
for d in completions manpages; do [ -e "$d" ] || made_dirs+=("$d"); done
if [ "${RELEASE_CHECK_FAST:-}" = 1 ]; then
	args=(build --snapshot --clean --single-target)
else
	args=(release --snapshot --clean)
fi
step "goreleaser ${args[*]}"
"$gr" "${args[@]}"
if [ "${RELEASE_CHECK_FAST:-}" = 1 ]; then
	bin=$(find dist -type f -name stomp -perm -u+x | head -1)
	[ -n "$bin" ] || fail "goreleaser build left no stomp binary in dist/"
	echo "snapshot binary: $bin: $("$bin" --version)"
	echo; echo "release-check: OK (fast: no archives or packages built)"
	exit 0
fi

step "snapshot contents"
shopt -s nullglob
artifacts=(dist/*.tar.gz dist/*.zip dist/*.deb dist/*.rpm dist/*checksums.txt)
[ ${#artifacts[@]} -gt 0 ] || fail "no archives or packages in dist/"
ls -l "${artifacts[@]}"
for a in dist/*.tar.gz; do
	listing=$(tar -tzf "$a")
	for want in stomp README.md LICENSE CHANGELOG.md man/stomp.1 completions/stomp.bash completions/stomp.zsh completions/stomp.fish; do
		grep -qx "$want" <<<"$listing" || fail "$a lacks $want"
	done
	echo "ok: $a has the binary, docs, man pages and completions"
done
for p in dist/*.deb; do
	if command -v dpkg-deb >/dev/null; then
		listing=$(dpkg-deb -c "$p")
		for want in ./usr/bin/stomp ./usr/share/man/man1/stomp.1.gz ./usr/share/bash-completion/completions/stomp \
			./usr/share/zsh/vendor-completions/_stomp ./usr/share/fish/vendor_completions.d/stomp.fish; do
			grep -q " $want\$" <<<"$listing" || fail "$p lacks $want"
		done
		echo "ok: $p installs the binary, man pages and completions"
	fi
done
for p in dist/*.rpm; do
	if command -v rpm >/dev/null; then
		listing=$(rpm -qlp "$p" 2>/dev/null)
		for want in /usr/bin/stomp /usr/share/man/man1/stomp.1.gz /usr/share/zsh/site-functions/_stomp; do
			grep -qx "$want" <<<"$listing" || fail "$p lacks $want"
		done
		echo "ok: $p installs the binary, man pages and completions"
	fi
done
bin=$(find dist -type f -path "*linux_$("$GO" env GOARCH)*" -name stomp | head -1)
if [ -n "$bin" ]; then
	echo "snapshot binary: $bin: $("$bin" --version)"
	if command -v file >/dev/null; then file "$bin"; fi
fi
echo
echo "release-check: OK"
