#!/bin/sh
# Structural refusals and their errnos.
. "$(dirname "$0")/lib.sh"

new_archive
mount_fs
mkdir -p "$M/2024/contracts/ACME Ltd/sub"
echo x > "$M/2024/contracts/ACME Ltd/a.txt"
C="$M/2024/contracts/ACME Ltd"
LONG=$(printf '%0256d' 0)
LONGCJK=$(printf '中%.0s' $(seq 86))

check "a year must be four digits (EINVAL)" expect EINVAL mkdir "$M/24"
check "nothing but years at the top (EINVAL)" expect EINVAL mkdir "$M/misc"
check "no file at the top (EPERM)" expect EPERM create "$M/a.txt"
check "no file in a year (EPERM)" expect EPERM create "$M/2024/a.txt"
check "no file in a category (EPERM)" expect EPERM create "$M/2024/contracts/a.txt"
check "unknown category (EPERM)" expect EPERM mkdir "$M/2024/unknown"
check "categories are not removed (EPERM)" expect EPERM rmdir "$M/2024/sales"
check "years and categories are not renamed (EPERM)" expect EPERM rename "$M/2024/sales" "$M/2024/deals"
check "a year is not renamed (EPERM)" expect EPERM rename "$M/2024" "$M/2025"
check "a record cannot move into a category (EPERM)" expect EPERM rename "$C/a.txt" "$M/2024/sales/a.txt"
check "a client cannot move to the top (EPERM)" expect EPERM rename "$C" "$M/ACME"
check "a folder cannot move into itself (EINVAL)" expect EINVAL rename "$C" "$C/sub/x"
check "rmdir of a non-empty client (ENOTEMPTY)" expect ENOTEMPTY rmdir "$C"
check "rmdir of a year with clients (ENOTEMPTY)" expect ENOTEMPTY rmdir "$M/2024"
check "a missing record (ENOENT)" expect ENOENT stat "$C/none.txt"
check "a missing client (ENOENT)" expect ENOENT read "$M/2024/contracts/Nobody/a.txt"
check "a 256-byte name (ENAMETOOLONG)" expect ENAMETOOLONG create "$C/$LONG"
check "a 258-byte Chinese name (ENAMETOOLONG)" expect ENAMETOOLONG create "$C/$LONGCJK"
check "a 255-byte name works" expect OK create "$C/$(printf '%0255d' 0)"
check "a name that is not UTF-8 (EINVAL)" expect EINVAL create "$C/$(printf 'bad\377')"
check "a name with a control character (EINVAL)" expect EINVAL create "$C/$(printf 'tab\there')"
check "a name with an escape character (EINVAL)" expect EINVAL mkdir "$C/$(printf 'esc\033x')"
check "unlink of a folder (EISDIR)" expect EISDIR unlink "$C/sub"
check "rmdir of a file (ENOTDIR)" expect ENOTDIR rmdir "$C/a.txt"
check "the refusal is logged with its reason" grep -q "refused create.*client folder" "$T/daemon.log"
check "nothing was created by refused calls" sh -c "[ \$(find '$M' -type f | wc -l) -eq 2 ]"

finish
