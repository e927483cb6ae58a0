#!/bin/sh
# .ci/setup-deps.sh -- make a Debian 12 machine ready for xstap's tests:
# host packages for kbuild (native and arm64 cross), qemu for booting the
# target kernels, the arm64 dpkg architecture (for `apt-get download` of
# arm64 kernels and busybox-static), and the rustup musl targets of the
# static xstap-run loader.
#
# Idempotent and quiet: it only installs what is missing, runs `apt-get
# update` only when it installs something or adds an architecture, and
# prints one line per action. Needs root (or sudo) for apt and dpkg.
# Called by `cargo xtask test` (and so by .ci/run).
set -eu

PKGS="gcc-12 gcc make binutils libc6-dev gcc-aarch64-linux-gnu pahole libelf1
qemu-system-x86 qemu-system-arm cpio kmod xz-utils zstd distcc"
MUSL_TARGETS="x86_64-unknown-linux-musl aarch64-unknown-linux-musl"
LOG=${TMPDIR:-/tmp}/xstap-setup-deps.log

say() { echo "setup-deps: $*"; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
		say "not root and no sudo: skipping apt/dpkg steps"; SUDO=skip; fi
fi
APT="apt-get -o DPkg::Lock::Timeout=600 -o APT::Sandbox::User=root -qq -y"
updated=0
apt_update() {
	[ $updated = 1 ] && return 0
	say "apt-get update"
	$SUDO $APT update >>"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
	updated=1
}

if [ "$SUDO" != skip ]; then
	# arm64 as a foreign architecture: only for downloads (never installed).
	if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		say "dpkg --add-architecture arm64"
		$SUDO dpkg --add-architecture arm64
		apt_update
	fi
	missing=""
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case $st in *" installed") ;; *) missing="$missing $p" ;; esac
	done
	if [ -n "$missing" ]; then
		apt_update
		say "apt-get install$missing"
		DEBIAN_FRONTEND=noninteractive $SUDO $APT install --no-install-recommends $missing >>"$LOG" 2>&1 ||
			{ cat "$LOG" >&2; exit 1; }
	fi
	# The arm64 package lists must exist for `apt-get download ...:arm64`.
	if ! ls /var/lib/apt/lists/*_binary-arm64_Packages* >/dev/null 2>&1; then
		apt_update
	fi
fi

if command -v rustup >/dev/null 2>&1; then
	have=$(rustup target list --installed 2>/dev/null || true)
	for t in $MUSL_TARGETS; do
		case " $(echo $have) " in *" $t "*) ;; *)
			say "rustup target add $t"
			rustup target add "$t" >>"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; } ;;
		esac
	done
else
	say "rustup not found: add the targets $MUSL_TARGETS to your toolchain for xstap-run"
fi
exit 0
