/* Control requests of the access rules: users, grants, explain, policy. */
#include "control_i.h"

const struct control_cmd control_rules_cmds[] = {
	{ NULL, NULL },
};
