#!/bin/sh
# Several Unix users through one mount (the daemon runs as root with
# allow_other and decides per caller).
. "$(dirname "$0")/lib.sh"

ensure_user dossier_t_alice
ensure_user dossier_t_bob
new_archive --demo
"$BUILD/dossierctl" -a "$A" user add dossier_t_alice --role sales --dept sales >/dev/null
"$BUILD/dossierctl" -a "$A" user add dossier_t_bob --role sales --dept service >/dev/null
mount_fs
C="$M/2024/contracts/ACME Ltd"

check "another user lists the demo tree" as dossier_t_alice ls "$M/2024/contracts"
check "a user creates a client folder and a record" as dossier_t_alice sh -c "
	mkdir '$M/2024/sales/Alice Client' && echo mine > '$M/2024/sales/Alice Client/a.txt'"
check "an unmapped account sees no client folder" sh -c "
	ensure() { :; }; id dossier_t_nobody >/dev/null 2>&1 || useradd -M -N dossier_t_nobody;
	[ -z \"\$(setpriv --reuid=\$(id -u dossier_t_nobody) --regid=\$(id -g dossier_t_nobody) --clear-groups ls '$M/2024/contracts')\" ]"
check "the record belongs to its creator" sh -c "
	[ \$(stat -c %U '$M/2024/sales/Alice Client/a.txt') = dossier_t_alice ]"
check "... fsop says EACCES" sh -c "[ \"\$(setpriv --reuid=\$(id -u dossier_t_bob) --regid=\$(id -g dossier_t_bob) --clear-groups '$FSOP' write '$M/2024/sales/Alice Client/a.txt')\" = EACCES ]"
check "access(2) answers for the caller" sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dossier_t_bob) --regid=\$(id -g dossier_t_bob) --clear-groups '$FSOP' access '$M/2024/sales/Alice Client/a.txt' w)\" = EACCES ] &&
	[ \"\$(setpriv --reuid=\$(id -u dossier_t_alice) --regid=\$(id -g dossier_t_alice) --clear-groups '$FSOP' access '$M/2024/sales/Alice Client/a.txt' w)\" = OK ]"
check "the content is unchanged" sh -c "[ \"\$(cat '$M/2024/sales/Alice Client/a.txt')\" = mine ]"
check "root reads the demo records" sh -c "cat '$M'/2024/*/*/notes.txt >/dev/null"
check "demo has a few hundred records" sh -c "[ \$(find '$M' -type f | wc -l) -ge 200 ]"
check "demo has Chinese and English client names" sh -c "
	ls '$M'/2024/*/ | grep -q 北京某某科技有限公司 && ls '$M'/2024/*/ | grep -q Globex"
check "two users write at once" sh -c "
	setpriv --reuid=\$(id -u dossier_t_alice) --regid=\$(id -g dossier_t_alice) --clear-groups sh -c \"mkdir '$M/2023/sales/A2' && seq 1 20000 > '$M/2023/sales/A2/n.txt'\" &
	setpriv --reuid=\$(id -u dossier_t_bob) --regid=\$(id -g dossier_t_bob) --clear-groups sh -c \"mkdir '$M/2023/sales/B2' && seq 1 30000 > '$M/2023/sales/B2/n.txt'\" &
	wait; [ \$(wc -l < '$M/2023/sales/A2/n.txt') -eq 20000 ] && [ \$(wc -l < '$M/2023/sales/B2/n.txt') -eq 30000 ]"

finish
