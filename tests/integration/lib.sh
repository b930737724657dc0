# Shared by tests/integration/tNNN-*.sh. Each test sources this, mounts
# the real daemon on a fresh temp folder and reports "ok - WHAT" or
# "not ok - WHAT" per check; the mount is always undone by a trap.
set -u
BUILD=${BUILD:?BUILD must name the build folder}
FSOP=$BUILD/tests/fsop
# Outside /tmp: vim skips backups under /tmp (backupskip), see ecosystem.md
T=$(mktemp -d /var/tmp/dossier-test.XXXXXX)
chmod 755 "$T"
A=$T/archive
M=$T/mnt
mkdir "$M"
FAILS=0
DAEMON_PID=

cleanup() {
	if mountpoint -q "$M" 2>/dev/null; then
		fusermount3 -u "$M" 2>/dev/null || umount -l "$M" 2>/dev/null
	fi
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	# a daemonized mount's daemon is no child of ours: let it finish its
	# shutdown (last commits) before its archive is removed
	i=0
	while pgrep -f "dossierfs $A " >/dev/null 2>&1 && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "${KEEP_TEST:-}" ] && { echo "# kept $T" >&2; return; }
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# check WHAT CMD...: run CMD, report
check() {
	what=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		sed 's/^/#   /' "$T/out" | head -20
		FAILS=$((FAILS + 1))
	fi
}

# expect ERRNO_OR_OK OP PATH [ARG]: one syscall through fsop
expect() {
	want=$1
	shift
	got=$("$FSOP" "$@")
	if [ "$got" = "$want" ]; then
		return 0
	fi
	echo "fsop $*: got $got, want $want"
	return 1
}

# as USER CMD...: run CMD as a test user (no supplementary groups)
as() {
	u=$1
	shift
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
		--clear-groups -- "$@"
}

# ensure_user NAME: create a test account if missing
# (several test runs may add accounts at once: useradd then fails on the
# passwd lock, so it is tried again)
ensure_user() {
	i=0
	while ! id "$1" >/dev/null 2>&1; do
		useradd -M -N -s /bin/sh "$1" 2>/dev/null && break
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "cannot add test account $1" >&2; return 1; }
		sleep 0.2
	done
}

# map_users CTL...: map each "NAME ROLE [DEPT]" line of standard input
# with CTL user add, making the test account first
map_users() {
	while read -r u role dept; do
		ensure_user "$u"
		"$@" user add "$u" --role "$role" ${dept:+--dept "$dept"} \
			>/dev/null || echo "cannot map $u" >&2
	done
}

# put_record FILE TEXT OWNER DEPT SCOPE LEVEL: a record written, then
# classified (level last: setting it may hide the record from root)
put_record() {
	printf '%s\n' "$2" > "$1" &&
	setfattr -n user.dossier.owner -v "$3" "$1" &&
	setfattr -n user.dossier.dept -v "$4" "$1" &&
	setfattr -n user.dossier.scope -v "$5" "$1" &&
	setfattr -n user.dossier.level -v "$6" "$1"
}

new_archive() {
	"$BUILD/dossierctl" init "$A" "$@" >/dev/null
}

# poll SECONDS CMD...: CMD succeeds before the deadline
poll() {
	n=$(($1 * 20))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.05
		n=$((n - 1))
	done
	"$@"
}

wait_mounted() {
	i=0
	while ! mountpoint -q "$M"; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "not mounted; the daemon's last words:"
			tail -5 "$T/daemon.log"
			return 1
		fi
		sleep 0.1
	done
}

# mount_fs [OPTS...]: start the daemon in the foreground (background job)
mount_fs() {
	"$BUILD/dossierfs" "$A" "$M" -f "$@" 2>>"$T/daemon.log" &
	DAEMON_PID=$!
	wait_mounted
}

# umount_fs: unmount and wait for the daemon to finish cleanly
umount_fs() {
	fusermount3 -u "$M" || return 1
	if [ -n "$DAEMON_PID" ]; then
		wait "$DAEMON_PID"
		rc=$?
		DAEMON_PID=
		return $rc
	fi
}

finish() {
	[ "$FAILS" -eq 0 ]
	exit $?
}
