#!/usr/bin/env bash
# Builds bin/mailpit, the Mailpit `make run` starts, from the version pinned in tools/go.mod,
# with its web inbox. The Go module has Mailpit's page sources (server/ui-src) but not the
# page built from them (server/ui/dist, which Mailpit's release process makes with npm and go
# build embeds), so the module is copied to .data/mailpit-build/<version>, `npm ci` and
# `npm run build` make the page there, and go build builds that copy (with its own go.mod).
#
# Done once per pinned version: bin/mailpit.built says what bin/mailpit is ("<version> ui",
# "<version> no-npm", "<version> npm-failed"). Without npm (or when npm fails) it builds the
# module as it is, whose page is blank (the API works), and says so; once npm is installed, the
# next run builds the page. After an npm failure it does not try again by itself: remove
# bin/mailpit to try again (the log is .data/mailpit-build/build.log).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod=github.com/axllent/mailpit
out=$root/bin/mailpit
stamp=$out.built
builds=$root/.data/mailpit-build
log=$builds/build.log

say() { echo "run: $*" >&2; }
have_npm() { command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; }

want=$(cd "$root" && go list -modfile=tools/go.mod -m -f '{{.Version}}' "$mod")
ldflags="-X $mod/config.Version=$want"
have=
[[ -x "$out" && -s "$stamp" ]] && have=$(<"$stamp")

case "$have" in
"$want ui") exit 0 ;;
"$want npm-failed") exit 0 ;; # run.sh's banner says the page is blank, and why
"$want no-npm") have_npm || exit 0 ;;
esac

# The module as it is: no page, but SMTP and the API work.
build_plain() {
	say "building Mailpit $want without its web page into bin/mailpit (once; up to a few minutes)"
	(cd "$root" && go build -modfile=tools/go.mod -o "$out" -ldflags "$ldflags" "$mod")
	echo "$want $1" >"$stamp"
}

if ! have_npm; then
	say "npm not found: Mailpit's web page is built with Node.js and npm (https://nodejs.org,"
	say "or apt-get install -y nodejs npm); without them its inbox page is blank. Install them and"
	say "'make run' again to build it."
	build_plain no-npm
	exit 0
fi

dir=$builds/$want
if [[ ! -s "$dir/server/ui/dist/app.js" ]]; then
	mkdir -p "$builds"
	# Other versions' copies are not needed any more.
	find "$builds" -mindepth 1 -maxdepth 1 -type d ! -name "$want" -exec rm -rf {} +
	: >"$log"
	(cd "$root" && go mod download -modfile=tools/go.mod "$mod")
	src=$(cd "$root" && go list -modfile=tools/go.mod -m -f '{{.Dir}}' "$mod")
	[[ -f "$src/package-lock.json" && -d "$src/server/ui-src" ]] || {
		say "Mailpit $want's module has no package-lock.json or server/ui-src: cannot build its page"
		build_plain npm-failed
		exit 0
	}
	say "building Mailpit $want's web page with npm (once; about two minutes; log: .data/mailpit-build/build.log)"
	started=$SECONDS
	tmp=$dir.tmp
	rm -rf "$dir" "$tmp"
	cp -R "$src/." "$tmp"
	chmod -R u+w "$tmp" # the module cache is read-only

	# `npm ci`: exactly the versions in Mailpit's package-lock.json. --omit=peer leaves out
	# sass-embedded, a peer of esbuild-sass-plugin that it does not use (it compiles with sass;
	# the locked sass-embedded 1.108.1 was not on the registry either);
	# --ignore-scripts runs no install script (esbuild finds its binary without one); the
	# test browsers of Playwright (a devDependency, like esbuild) are not downloaded.
	npm_ci() {
		(cd "$tmp" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --omit=peer --ignore-scripts \
			--no-audit --no-fund --loglevel=warn) >>"$log" 2>&1
	}
	# The inbox is server/ui-src/app.js; docs.js, the API's documentation page (/api/v1/),
	# needs one more package, rapidoc, which the registry may not have at the locked version
	# (12.1.0 for Mailpit v1.33.1 was missing when this was written): without it, the inbox is
	# built alone and the documentation page is blank.
	inbox_only() {
		echo "== npm ci failed: again without rapidoc, for the inbox page alone" >>"$log"
		(cd "$tmp" && node -e '
			const fs = require("fs");
			const edit = (file, f) => {
				const j = JSON.parse(fs.readFileSync(file, "utf8"));
				f(j);
				fs.writeFileSync(file, JSON.stringify(j, null, 2) + "\n");
			};
			edit("package.json", (p) => delete p.dependencies.rapidoc);
			edit("package-lock.json", (l) => {
				delete l.packages[""].dependencies.rapidoc;
				delete l.packages["node_modules/rapidoc"];
			});' &&
			sed -i.orig 's#, *"server/ui-src/docs.js"##' esbuild.config.mjs &&
			! grep -q docs.js esbuild.config.mjs) >>"$log" 2>&1
	}
	if { npm_ci || { inbox_only && npm_ci; }; } &&
		(cd "$tmp" && npm run build) >>"$log" 2>&1 &&
		[[ -s "$tmp/server/ui/dist/app.js" ]]; then
		rm -rf "$tmp/node_modules" # 160 MB; go build needs only the page (npm keeps its cache)
		mv "$tmp" "$dir"
		say "built Mailpit's web page in $((SECONDS - started))s"
	else
		tail -n 15 "$log" >&2
		say "could not build Mailpit's web page (above; all of it in .data/mailpit-build/build.log):"
		say "building Mailpit without it, its inbox page is blank. To try again: rm bin/mailpit"
		rm -rf "$tmp"
		build_plain npm-failed
		exit 0
	fi
fi

say "building Mailpit $want with its web page into bin/mailpit (once; up to a few minutes)"
# Its own go.mod and go.sum, not ours (GOWORK, GOFLAGS); no VCS stamp: the copy is inside
# this repository's checkout, whose commit is not Mailpit's.
(cd "$dir" && GOWORK=off GOFLAGS= go build -mod=readonly -buildvcs=false -o "$out" -ldflags "$ldflags" .)
echo "$want ui" >"$stamp"
