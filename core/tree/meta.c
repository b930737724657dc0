/*
 * Classification as extended attributes (user.dossier.level, .scope,
 * .owner, .dept) and the effective access as a POSIX ACL
 * (system.posix_acl_access), both computed from the rule store; setting
 * them reclassifies (archivists) or asks for a grant (approvers).
 */
#include "meta_i.h"

#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "log.h"
#include "rules_i.h"
#include "access_i.h"
#include "journal_i.h"

#define ACL_XATTR "system.posix_acl_access"
#define PREFIX "user.dossier."

static const char *const meta_names[] = {
	PREFIX "level", PREFIX "scope", PREFIX "owner", PREFIX "dept",
};

/*
 * The kernel's binary form of an ACL (include/uapi/linux/posix_acl_xattr.h):
 * a little-endian header (version 2) and sorted entries. libacl keeps its
 * converter private, so the 8-byte records are written here.
 */
#define ACL_VERSION 2
enum { TAG_USER_OBJ = 0x01, TAG_USER = 0x02, TAG_GROUP_OBJ = 0x04,
       TAG_MASK = 0x10, TAG_OTHER = 0x20 };

struct acl_entry {
	uint16_t tag;
	uint16_t perm;
	uint32_t id;
};

#define ACL_DEFAULT "system.posix_acl_default"

int meta_handles(const char *name)
{
	return !strcmp(name, ACL_XATTR) || !strcmp(name, ACL_DEFAULT) ||
	       !strncmp(name, PREFIX, 13);
}

static int put_value(const char *v, size_t vlen, void *buf, size_t size,
		     size_t *len)
{
	*len = vlen;
	if (size && vlen > size)
		return DOSSIER_ERANGE;
	if (size)
		memcpy(buf, v, vlen);
	return 0;
}

static void encode_entry(unsigned char *p, uint16_t tag, uint16_t perm,
			 uint32_t id)
{
	uint16_t t = htole16(tag), pe = htole16(perm);
	uint32_t i = htole32(id);

	memcpy(p, &t, 2);
	memcpy(p + 2, &pe, 2);
	memcpy(p + 4, &i, 4);
}

/* Entry i of an ACL value p (its size checked already). */
static void decode_entry(const unsigned char *p, size_t i,
			 struct acl_entry *e)
{
	memcpy(&e->tag, p + 4 + 8 * i, 2);
	memcpy(&e->perm, p + 6 + 8 * i, 2);
	memcpy(&e->id, p + 8 + 8 * i, 4);
	e->tag = le16toh(e->tag);
	e->perm = le16toh(e->perm);
	e->id = le32toh(e->id);
}

/*
 * The rights of uid on n as ACL bits, what the rules let uid do there: a
 * record is 4 read, 2 write (never 1: records are no programs); a folder
 * is 4|1 list and search, 2 create. Samba turns a folder's w into
 * FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY and FILE_DELETE_CHILD and refuses
 * a put, mkdir, rename or delete without it (each record's delete and
 * rename is then decided again at the unlink or rename).
 */
static int rights(struct dossier_archive *a, uid_t uid, const struct node *n)
{
	struct dossier_caller c = { uid, (gid_t)-1, 0 };
	int folder = n->kind != DOSSIER_KIND_FILE, r = 0;

	if (archive_decide(a, &c, n, NULL, folder ? DOSSIER_ACT_LIST : DOSSIER_ACT_READ) == 0)
		r |= folder ? 5 : 4;
	if (archive_decide(a, &c, n, NULL, folder ? DOSSIER_ACT_CREATE : DOSSIER_ACT_WRITE) ==
	    0)
		r |= 2;
	dossier_error_clear();
	return r;
}

static int get_acl(struct dossier_archive *a, const struct node *n,
		   void *buf, size_t size, size_t *len)
{
	size_t count = dossier_rules_user_count(a->rules), i, ne = 0;
	unsigned char *out = malloc(4 + (count + 4) * 8);
	uint32_t ver = htole32(ACL_VERSION);
	int owner = rights(a, n->uid, n), mask = 0, rc;

	if (!out)
		return DOSSIER_ERROR;
	memcpy(out, &ver, 4);
	encode_entry(out + 4 + 8 * ne++, TAG_USER_OBJ, (uint16_t)owner,
		     (uint32_t)-1);
	/* the users table is sorted by uid, as ACL entries must be */
	for (i = 0; i < count; i++) {
		const char *name, *role, *dept;
		uid_t uid;
		int r;

		if (dossier_rules_user_at(a->rules, i, &uid, &name, &role,
					  &dept) < 0 || uid == n->uid)
			continue;
		if ((r = rights(a, uid, n)) == 0)
			continue;
		mask |= r;
		encode_entry(out + 4 + 8 * ne++, TAG_USER, (uint16_t)r, uid);
	}
	encode_entry(out + 4 + 8 * ne++, TAG_GROUP_OBJ, 0, (uint32_t)-1);
	if (ne > 2)
		encode_entry(out + 4 + 8 * ne++, TAG_MASK, (uint16_t)mask,
			     (uint32_t)-1);
	encode_entry(out + 4 + 8 * ne++, TAG_OTHER, 0, (uint32_t)-1);
	rc = put_value((const char *)out, 4 + 8 * ne, buf, size, len);
	free(out);
	return rc;
}

int meta_get(struct dossier_archive *a, const struct dossier_caller *who,
	     const struct node *n, const char *name, void *buf, size_t size,
	     size_t *len)
{
	char v[256];

	(void)who;
	if (!strcmp(name, ACL_XATTR))
		return get_acl(a, n, buf, size, len);
	if (!strcmp(name, ACL_DEFAULT))
		return DOSSIER_ENODATA;	/* new records follow the rules */
	if (!strcmp(name, PREFIX "level"))
		snprintf(v, sizeof(v), "%s", dossier_level_name(n->level));
	else if (!strcmp(name, PREFIX "scope"))
		snprintf(v, sizeof(v), "%s",
			 dossier_scope_name((enum dossier_scope)n->scope));
	else if (!strcmp(name, PREFIX "owner"))
		dossier_rules_user_name(a->rules, n->uid, v, sizeof(v));
	else if (!strcmp(name, PREFIX "dept"))
		snprintf(v, sizeof(v), "%s", n->dept);
	else
		return DOSSIER_ENOTSUP;	/* other user.dossier.*: stored */
	return put_value(v, strlen(v), buf, size, len);
}

int meta_list(struct dossier_archive *a, const struct node *n, char *buf,
	      size_t size, size_t *len)
{
	size_t i, l;

	(void)a;
	(void)n;
	for (i = 0; i < sizeof(meta_names) / sizeof(meta_names[0]); i++) {
		l = strlen(meta_names[i]) + 1;
		if (size && *len + l > size)
			return DOSSIER_ERANGE;
		if (size)
			memcpy(buf + *len, meta_names[i], l);
		*len += l;
	}
	return 0;
}

/* The grants running on one record, collected by grants_each. */
struct loans {
	uint64_t record;
	size_t n;
	struct {
		int64_t id;
		uid_t uid;
	} g[64];
};

static int collect_loan(void *ctx, int64_t id, uint64_t record, uid_t uid,
			int can_write, uid_t approved_by, int64_t start,
			int64_t end)
{
	struct loans *l = ctx;

	(void)can_write;
	(void)approved_by;
	(void)start;
	(void)end;
	if (record != l->record)
		return 0;
	if (l->n == sizeof(l->g) / sizeof(l->g[0]))
		return 1;
	l->g[l->n].id = id;
	l->g[l->n].uid = uid;
	l->n++;
	return 0;
}

/* Does the ACL value (checked already) name uid with read rights? */
static int acl_names(const unsigned char *p, size_t count, uid_t uid)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct acl_entry e;

		decode_entry(p, i, &e);
		if (e.tag == TAG_USER && e.id == uid && (e.perm & 4))
			return 1;
	}
	return 0;
}

/*
 * setfacl -x u:NAME, setfacl -b: the loans (grants) of users the new ACL
 * leaves out end, as 'dossierctl revoke' would end them (so only for
 * whoever may revoke them). A user whose access comes from the rules
 * stays (acl_keeps_readers).
 */
static int end_loans(struct dossier_archive *a, const struct dossier_caller *who,
		     const struct node *n, const unsigned char *p, size_t count)
{
	struct loans l;
	size_t i;
	int64_t now = dossier_clock_ns() / 1000000000;
	char gid[32];
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.record = n->id;
	dossier_rules_grants_each(a->rules, now, collect_loan, &l);
	for (i = 0; rc == 0 && i < l.n; i++) {
		if (acl_names(p, count, l.g[i].uid))
			continue;
		rc = dossier_rules_revoke(a->rules, who->uid, l.g[i].id, now);
		snprintf(gid, sizeof(gid), "%" PRId64, l.g[i].id);
		audit_record(a->audit, who, "revoke", gid, rc == 0, 0,
			     "setfacl");
		archive_changed(a);
		if (rc == 0)
			dossier_log(LOG_NOTICE, "grant %" PRId64 " on record %"
				    PRIu64 " ended by setfacl of uid %u",
				    l.g[i].id, n->id, (unsigned)who->uid);
	}
	return rc;
}

/* Does uid read n by the rules (a loan, which the ACL may end, aside)? */
static int reads_by_rules(struct dossier_archive *a, uid_t uid,
			  const struct node *n)
{
	struct dossier_caller c = { uid, (gid_t)-1, 0 };
	struct dossier_verdict v;

	archive_verdict(a, &c, n, n->kind != DOSSIER_KIND_FILE ? DOSSIER_ACT_LIST :
				  DOSSIER_ACT_READ, &v);
	dossier_error_clear();
	return v.allow && !v.grant;
}

/*
 * An ACL that names users must name everyone who reads n by the rules: it
 * cannot take that away (-b, naming nobody, only ends loans). Checked
 * before anything is lent or ended, so a refused ACL changes nothing.
 */
static int acl_keeps_readers(struct dossier_archive *a, const struct node *n,
			     const unsigned char *p, size_t count)
{
	size_t i, named = 0, users;

	for (i = 0; i < count; i++) {
		uint16_t tag;

		memcpy(&tag, p + 4 + 8 * i, 2);
		named += le16toh(tag) == TAG_USER;
	}
	if (named == 0)
		return 0;
	users = dossier_rules_user_count(a->rules);
	for (i = 0; i < users; i++) {
		const char *name, *role, *dept;
		uid_t uid;

		if (dossier_rules_user_at(a->rules, i, &uid, &name, &role,
					  &dept) < 0 || uid == n->uid ||
		    acl_names(p, count, uid) || !reads_by_rules(a, uid, n))
			continue;
		dossier_error_set("%s may read it by the rules, not on a "
				  "grant: an ACL cannot take that away "
				  "(dossierctl explain PATH --user %s)", name,
				  name);
		return DOSSIER_ESTRUCTURE;
	}
	return 0;
}

static int acl_refused(const struct dossier_caller *who,
		       const struct node *n, int rc)
{
	dossier_log(LOG_NOTICE, "refused setfacl by uid %u on record %" PRIu64
		    ": %s", (unsigned)who->uid, n->id, dossier_error_last());
	return rc;
}

/* The number of entries of the ACL value p of size bytes. */
static int acl_count(const unsigned char *p, size_t size, size_t *out)
{
	uint32_t ver;

	if (size < 4 || (size - 4) % 8) {
		dossier_error_set("not a POSIX ACL");
		return DOSSIER_EINVAL;
	}
	memcpy(&ver, p, 4);
	if (le32toh(ver) != ACL_VERSION) {
		dossier_error_set("unknown ACL version");
		return DOSSIER_EINVAL;
	}
	*out = (size - 4) / 8;
	return 0;
}

/*
 * Lend user e->id on o (record n) the rights e gives beyond those the
 * user has: a grant request by who, audited; 0 if it gives nothing new.
 */
static int lend(struct dossier_archive *a, const struct dossier_caller *who,
		const struct node *n, const struct dossier_object *o,
		const struct acl_entry *e, const char *reason)
{
	int have = rights(a, (uid_t)e->id, n), want = e->perm & 6, rc;
	int64_t secs, id = 0;

	/* an ACL that gives nothing new (vim re-applying it) is fine */
	if ((want & ~have) == 0)
		return 0;
	secs = dossier_rules_level_max(a->rules, n->level);
	if (secs <= 0) {
		dossier_error_set("%s records are never lent",
				  dossier_level_name(n->level));
		return DOSSIER_EDENIED;
	}
	rc = dossier_rules_grant(a->rules, who->uid,
				 a->site[0] ? a->site : NULL, o, (uid_t)e->id,
				 (want & 2) != 0, secs, reason,
				 dossier_clock_ns() / 1000000000, &id);
	audit_record(a->audit, who, "grant", NULL, rc == 0, 0, reason);
	if (rc == 0)
		archive_changed(a);
	if (rc == 0)
		dossier_log(LOG_NOTICE, "grant %" PRId64 " on record %" PRIu64
			    " for uid %u by setfacl of uid %u", id, n->id,
			    (unsigned)e->id, (unsigned)who->uid);
	return rc;
}

/* setfacl: new named-user rights are grant requests by who. */
static int set_acl(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, const void *value, size_t size)
{
	const unsigned char *p = value;
	struct dossier_object o;
	size_t i, count;
	int rc;
	char reason[160], uname[128];

	if ((rc = acl_count(p, size, &count)) < 0)
		return rc;
	if ((rc = acl_keeps_readers(a, n, p, count)) < 0)
		return acl_refused(who, n, rc);
	archive_object(n, &o);
	dossier_rules_user_name(a->rules, who->uid, uname, sizeof(uname));
	snprintf(reason, sizeof(reason), "setfacl by %s", uname);
	for (i = 0; rc == 0 && i < count; i++) {
		struct acl_entry e;

		decode_entry(p, i, &e);
		if (e.tag == TAG_USER)
			rc = lend(a, who, n, &o, &e, reason);
	}
	if (rc == DOSSIER_EEXISTS)
		rc = 0;
	if (rc == 0)
		rc = end_loans(a, who, n, p, count);
	return rc < 0 ? acl_refused(who, n, rc) : 0;
}

int meta_remove_acl(struct dossier_archive *a,
		    const struct dossier_caller *who, const struct node *n)
{
	static const unsigned char none[4] = { ACL_VERSION, 0, 0, 0 };
	int rc = end_loans(a, who, n, none, 0);

	return rc < 0 ? acl_refused(who, n, rc) : 0;
}

/* Take (read and delete) user.dossier.reason of n into out; 1 if there. */
static int take_reason(struct dossier_archive *a, const struct node *n,
		       char *out, size_t outsz)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (dossier_db_prepare(a->db, "SELECT value FROM xattr WHERE node = ?1"
			       " AND name = 'user.dossier.reason'", &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, outsz, "%.*s", sqlite3_column_bytes(st, 0),
			 (const char *)sqlite3_column_blob(st, 0));
		found = out[0] != '\0';
	}
	sqlite3_finalize(st);
	if (found)
		archive_exec(a, "DELETE FROM xattr WHERE node = ? AND name = "
			     "'user.dossier.reason'", "i", (int64_t)n->id);
	return found;
}

/* A classification change: the node column it sets and the new value. */
struct change {
	const char *col;	/* level, scope, uid or dept */
	int newval;		/* the level, scope or uid */
	int lowering;		/* a level lowered: needs a reason */
	char v[256];		/* the value as given, up to a newline */
};

/* Parse c->v, the value of attribute name on n, into c. */
static int parse_change(struct dossier_archive *a, const struct node *n,
			const char *name, struct change *c)
{
	uid_t owner = 0;

	if (!strcmp(name, PREFIX "level")) {
		c->col = "level";
		if ((c->newval = dossier_level_parse(c->v)) < 0) {
			dossier_error_set("'%s' is not a level (internal "
					  "confidential secret topsecret, or "
					  "非密 秘密 机密 绝密)", c->v);
			return DOSSIER_EINVAL;
		}
		c->lowering = dossier_level_is_lowering(n->level, c->newval);
	} else if (!strcmp(name, PREFIX "scope")) {
		c->col = "scope";
		if ((c->newval = dossier_scope_parse(c->v)) < 0) {
			dossier_error_set("'%s' is not a scope (company "
					  "department personal)", c->v);
			return DOSSIER_EINVAL;
		}
	} else if (!strcmp(name, PREFIX "owner")) {
		c->col = "uid";
		if (dossier_rules_user_lookup(a->rules, c->v, &owner) < 0)
			return DOSSIER_EINVAL;
		c->newval = (int)owner;
	} else if (!strcmp(name, PREFIX "dept")) {
		c->col = "dept";
	} else {
		return DOSSIER_ENOTSUP;
	}
	return 0;
}

/* Does c set what n has already? */
static int unchanged(const struct node *n, const struct change *c)
{
	return (!strcmp(c->col, "level") && c->newval == n->level) ||
	       (!strcmp(c->col, "scope") && c->newval == n->scope) ||
	       (!strcmp(c->col, "uid") && (uid_t)c->newval == n->uid) ||
	       (!strcmp(c->col, "dept") && !strcmp(c->v, n->dept));
}

/* Write c into n's row. */
static int update_node(struct dossier_archive *a, const struct node *n,
		       const struct change *c)
{
	if (!strcmp(c->col, "dept"))
		return archive_exec(a, "UPDATE node SET dept = ? WHERE id = ?",
				    "ti", c->v[0] ? c->v : NULL,
				    (int64_t)n->id);
	if (!strcmp(c->col, "level"))
		return archive_exec(a, "UPDATE node SET level = ? WHERE id = ?",
				    "ii", (int64_t)c->newval, (int64_t)n->id);
	if (!strcmp(c->col, "scope"))
		return archive_exec(a, "UPDATE node SET scope = ? WHERE id = ?",
				    "ii", (int64_t)c->newval, (int64_t)n->id);
	return archive_exec(a, "UPDATE node SET uid = ? WHERE id = ?", "ii",
			    (int64_t)c->newval, (int64_t)n->id);
}

/*
 * Reclassify n by c (attribute name) in one transaction, journaled for a
 * record, then audited and logged.
 */
static int reclassify(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      const char *name, const struct change *c,
		      const char *reason)
{
	char detail[1400], *path;
	int rc;

	if ((rc = archive_begin(a)) < 0)
		return rc;
	rc = update_node(a, n, c);
	snprintf(detail, sizeof(detail), "%s = %s%s%s", name + 13, c->v,
		 reason[0] ? "; reason: " : "", reason);
	path = archive_node_path(a, n->id);
	if (rc == 0 && n->kind == DOSSIER_KIND_FILE)
		rc = archive_journal(a, n->id, "classify", path, NULL, NULL,
				     NULL, who, detail, dossier_clock_ns());
	rc = archive_end(a, rc);
	/* access it takes away reaches descriptors already open */
	if (rc == 0)
		archive_changed(a);
	audit_record(a->audit, who, "classify", path, rc == 0, 0, detail);
	if (rc == 0)
		dossier_log(LOG_NOTICE, "'%s' reclassified by uid %u: %s",
			    path ? path : "?", (unsigned)who->uid, detail);
	free(path);
	return rc;
}

int meta_set(struct dossier_archive *a, const struct dossier_caller *who,
	     const struct node *n, const char *name, const void *value,
	     size_t size)
{
	struct change c = { NULL, 0, 0, "" };
	char reason[1024] = "";
	int rc;

	if (!strcmp(name, ACL_XATTR))
		return set_acl(a, who, n, value, size);
	/*
	 * Default ACLs mean nothing here (the rules decide for new records);
	 * copying tools set them: accepted, ignored.
	 */
	if (!strcmp(name, ACL_DEFAULT))
		return 0;
	if (!strcmp(name, PREFIX "reason"))
		return DOSSIER_ENOTSUP;	/* stored as a plain xattr */
	if (size >= sizeof(c.v)) {
		dossier_error_set("value too long");
		return DOSSIER_EINVAL;
	}
	memcpy(c.v, value, size);
	c.v[size] = '\0';
	c.v[strcspn(c.v, "\n")] = '\0';
	if ((rc = parse_change(a, n, name, &c)) < 0)
		return rc;
	if ((rc = archive_decide(a, who, n, NULL, DOSSIER_ACT_CLASSIFY)) < 0)
		return rc;
	/* setting what is already there changes nothing and records nothing */
	if (unchanged(n, &c))
		return 0;
	take_reason(a, n, reason, sizeof(reason));
	if (c.lowering && !reason[0]) {
		dossier_error_set("lowering a level (declassification) needs a "
				  "reason: set user.dossier.reason first");
		return DOSSIER_ESTRUCTURE;
	}
	return reclassify(a, who, n, name, &c, reason);
}
