#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <fcntl.h>
#include <string.h>

#include "archive.h"
#include "error.h"
#include "sandbox.h"

/*
 * core/tree/meta.c through the xattr calls of the tree: classification
 * as user.dossier.* and the rules' answer as system.posix_acl_access.
 */

#define ACL "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"
#define LEVEL "user.dossier.level"
#define REASON "user.dossier.reason"

enum { TAG_USER_OBJ = 0x01, TAG_USER = 0x02, TAG_GROUP_OBJ = 0x04,
       TAG_MASK = 0x10, TAG_OTHER = 0x20 };

/* alice's record quote.txt in ACME Ltd, internal, her department's */
static uint64_t rec;

static int setup(void **state)
{
	struct sandbox *s;

	if (sandbox_setup(state, DOSSIER_ARCHIVE_OPEN_SERVE, &alice, &alice,
			  &bob, &carol, &manager, NULL) < 0)
		return -1;
	s = *state;
	rec = sandbox_put(s, &alice, s->client.id, "quote.txt", "q");
	return 0;
}

/* Attribute name of id as who, as a string, into out; the code. */
static int get(struct sandbox *s, const struct dossier_caller *who,
	       uint64_t id, const char *name, char *out, size_t outsz)
{
	size_t len = 0;
	int rc = dossier_archive_getxattr(s->a, who, id, name, out, outsz - 1,
					  &len);

	out[rc == 0 ? len : 0] = '\0';
	dossier_error_clear();
	return rc;
}

static int set(struct sandbox *s, const struct dossier_caller *who,
	       uint64_t id, const char *name, const char *value)
{
	int rc = dossier_archive_setxattr(s->a, who, id, name, value,
					  strlen(value), 0);

	dossier_error_clear();
	return rc;
}

/* One entry of an ACL in the kernel's form: little-endian fields. */
static void acl_entry(unsigned char *p, unsigned tag, unsigned perm,
		      uint32_t id)
{
	int i;

	p[0] = tag & 0xff;
	p[1] = tag >> 8;
	p[2] = perm & 0xff;
	p[3] = perm >> 8;
	for (i = 0; i < 4; i++)
		p[4 + i] = (id >> (8 * i)) & 0xff;
}

static void acl_at(const unsigned char *acl, size_t i, uint16_t *tag,
		   uint16_t *perm, uint32_t *id)
{
	memcpy(tag, acl + 4 + 8 * i, 2);
	memcpy(perm, acl + 6 + 8 * i, 2);
	memcpy(id, acl + 8 + 8 * i, 4);
	*tag = le16toh(*tag);
	*perm = le16toh(*perm);
	*id = le32toh(*id);
}

static void test_meta__classification_read_as_attributes(void **state)
{
	struct sandbox *s = *state;
	char v[64];
	size_t len = 0;

	assert_int_equal(get(s, &alice, rec, LEVEL, v, sizeof(v)), 0);
	assert_string_equal(v, "internal");
	assert_int_equal(get(s, &alice, rec, "user.dossier.scope", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "department");
	assert_int_equal(get(s, &alice, rec, "user.dossier.owner", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "alice");
	assert_int_equal(get(s, &alice, rec, "user.dossier.dept", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "sales");
	/* size 0 asks the length; a short buffer is ERANGE */
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, rec, LEVEL,
						  NULL, 0, &len), 0);
	assert_int_equal(len, strlen("internal"));
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, rec, LEVEL, v,
						  3, &len), DOSSIER_ERANGE);
	/* who may not list the record learns nothing of it */
	assert_int_equal(get(s, &mallory, rec, LEVEL, v, sizeof(v)),
			 DOSSIER_EHIDDEN);
}

static void test_meta__computed_names_listed_first(void **state)
{
	static const char want[] = "user.dossier.level\0user.dossier.scope\0"
				   "user.dossier.owner\0user.dossier.dept\0"
				   "user.note";
	struct sandbox *s = *state;
	char list[256];
	size_t len = 0;

	assert_int_equal(set(s, &alice, rec, "user.note", "n"), 0);
	assert_int_equal(dossier_archive_listxattr(s->a, &alice, rec, NULL, 0,
						   &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_int_equal(dossier_archive_listxattr(s->a, &alice, rec, list,
						   sizeof(list), &len), 0);
	assert_memory_equal(list, want, sizeof(want));
	/* too small for the computed names alone */
	assert_int_equal(dossier_archive_listxattr(s->a, &alice, rec, list, 20,
						   &len), DOSSIER_ERANGE);
}

static void test_meta__reclassified_by_archivists_only(void **state)
{
	struct sandbox *s = *state;
	char v[64];

	assert_int_equal(set(s, &alice, rec, LEVEL, "confidential"),
			 DOSSIER_EDENIED);
	assert_int_equal(set(s, &manager, rec, LEVEL, "confidential"),
			 DOSSIER_EDENIED);
	assert_int_equal(set(s, &root, rec, LEVEL, "bogus"), DOSSIER_EINVAL);
	assert_int_equal(get(s, &root, rec, LEVEL, v, sizeof(v)), 0);
	assert_string_equal(v, "internal");
	/* a trailing newline (echo >) is no part of the value; Chinese too */
	assert_int_equal(set(s, &root, rec, LEVEL, "confidential\n"), 0);
	assert_int_equal(get(s, &root, rec, LEVEL, v, sizeof(v)), 0);
	assert_string_equal(v, "confidential");
	assert_int_equal(set(s, &root, rec, LEVEL, "机密"), 0);
	assert_int_equal(get(s, &root, rec, LEVEL, v, sizeof(v)), 0);
	assert_string_equal(v, "secret");
	/* each change is a history entry of the record; the same value none */
	assert_int_equal(set(s, &root, rec, LEVEL, "secret"), 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal WHERE "
				       "record = ?1 AND op = 'classify'",
				       (int64_t)rec), 2);
}

/* Declassification needs a reason, taken (and used up) from an xattr. */
static void test_meta__lowering_needs_a_reason(void **state)
{
	struct sandbox *s = *state;
	char v[64];

	assert_int_equal(set(s, &root, rec, LEVEL, "confidential"), 0);
	assert_int_equal(set(s, &root, rec, LEVEL, "internal"),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(get(s, &root, rec, LEVEL, v, sizeof(v)), 0);
	assert_string_equal(v, "confidential");
	assert_int_equal(set(s, &root, rec, REASON, "board decision 12"), 0);
	assert_int_equal(set(s, &root, rec, LEVEL, "internal"), 0);
	assert_int_equal(get(s, &root, rec, LEVEL, v, sizeof(v)), 0);
	assert_string_equal(v, "internal");
	assert_int_equal(get(s, &root, rec, REASON, v, sizeof(v)),
			 DOSSIER_ENODATA);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal WHERE "
				       "record = ?1 AND reason LIKE "
				       "'%board decision 12%'", (int64_t)rec),
			 1);
	/* raising needs none */
	assert_int_equal(set(s, &root, rec, LEVEL, "confidential"), 0);
}

/* The ACL is what the rules let each user do, sorted as the kernel wants. */
static void test_meta__acl_shows_the_rules(void **state)
{
	struct sandbox *s = *state;
	unsigned char acl[256];
	uint16_t tag, perm, mask = 0;
	uint32_t id, last = 0, ver;
	size_t len = 0, n, i;

	assert_int_equal(dossier_archive_getxattr(s->a, &alice, rec, ACL, acl,
						  sizeof(acl), &len), 0);
	assert_int_equal((len - 4) % 8, 0);
	memcpy(&ver, acl, 4);
	assert_int_equal(le32toh(ver), 2);
	n = (len - 4) / 8;
	/* the owner reads and writes; no one else gets rights as a group */
	acl_at(acl, 0, &tag, &perm, &id);
	assert_int_equal(tag, TAG_USER_OBJ);
	assert_int_equal(perm, 6);
	for (i = 1; i < n; i++) {
		acl_at(acl, i, &tag, &perm, &id);
		if (tag != TAG_USER)
			break;
		assert_true(id > last);
		last = id;
		/* bob (another department) may not read it: not named */
		assert_int_not_equal(id, bob.uid);
		mask |= perm;
	}
	/* mike, manager of the department, reads and writes it */
	assert_int_equal(last, manager.uid);
	acl_at(acl, i++, &tag, &perm, &id);
	assert_int_equal(tag, TAG_GROUP_OBJ);
	assert_int_equal(perm, 0);
	acl_at(acl, i++, &tag, &perm, &id);
	assert_int_equal(tag, TAG_MASK);
	assert_int_equal(perm, mask);
	acl_at(acl, i++, &tag, &perm, &id);
	assert_int_equal(tag, TAG_OTHER);
	assert_int_equal(perm, 0);
	assert_int_equal(i, n);
	/* folders: list and search (5) for carol, who reads no record */
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, s->client.id,
						  ACL, acl, sizeof(acl), &len),
			 0);
	n = (len - 4) / 8;
	for (i = 1; i < n; i++) {
		acl_at(acl, i, &tag, &perm, &id);
		if (tag == TAG_USER && id == carol.uid)
			break;
	}
	assert_true(i < n);
	assert_int_equal(perm, 5);
}

/*
 * setfacl -m u:carol:r asks for a grant: lent if the setter may approve
 * it (carol's department manager); setfacl -b ends the loan.
 */
static void test_meta__setfacl_lends_and_takes_back(void **state)
{
	struct sandbox *s = *state;
	unsigned char acl[256];
	size_t len = 0;

	/* as setfacl -m: the entries read, and carol's */
	assert_int_equal(dossier_archive_getxattr(s->a, &manager, rec, ACL,
						  acl, sizeof(acl) - 8, &len),
			 0);
	acl_entry(acl + len, TAG_USER, 4, carol.uid);
	len += 8;
	assert_int_equal(sandbox_may_read(s, &carol, rec), DOSSIER_EDENIED);
	/* the owner is no approver */
	assert_int_equal(dossier_archive_setxattr(s->a, &alice, rec, ACL, acl,
						  len, 0), DOSSIER_EDENIED);
	dossier_error_clear();
	assert_int_equal(sandbox_may_read(s, &carol, rec), DOSSIER_EDENIED);
	assert_int_equal(dossier_archive_setxattr(s->a, &manager, rec, ACL,
						  acl, len, 0), 0);
	assert_int_equal(sandbox_may_read(s, &carol, rec), 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM grant WHERE "
				       "record = ?1 AND revoked_s IS NULL",
				       (int64_t)rec), 1);
	/* again: nothing new asked, no second grant */
	assert_int_equal(dossier_archive_setxattr(s->a, &manager, rec, ACL,
						  acl, len, 0), 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM grant WHERE "
				       "record = ?1", (int64_t)rec), 1);
	assert_int_equal(dossier_archive_removexattr(s->a, &manager, rec, ACL),
			 0);
	assert_int_equal(sandbox_may_read(s, &carol, rec), DOSSIER_EDENIED);
	/* what the rules give stays */
	assert_int_equal(sandbox_may_read(s, &manager, rec), 0);
	/* an ACL leaving out who reads by the rules cannot take that away */
	acl_entry(acl + 4, TAG_USER, 4, carol.uid);
	assert_int_equal(dossier_archive_setxattr(s->a, &manager, rec, ACL,
						  acl, 12, 0),
			 DOSSIER_ESTRUCTURE);
	dossier_error_clear();
	/* ... and a refused ACL lends nothing either */
	assert_int_equal(sandbox_may_read(s, &carol, rec), DOSSIER_EDENIED);
}

static void test_meta__malformed_and_default_acls(void **state)
{
	struct sandbox *s = *state;
	unsigned char acl[4 + 8];
	uint32_t ver = htole32(3);
	size_t len;

	memcpy(acl, &ver, 4);
	acl_entry(acl + 4, TAG_USER, 4, bob.uid);
	assert_int_equal(dossier_archive_setxattr(s->a, &root, rec, ACL, acl,
						  sizeof(acl), 0),
			 DOSSIER_EINVAL);
	ver = htole32(2);
	memcpy(acl, &ver, 4);
	assert_int_equal(dossier_archive_setxattr(s->a, &root, rec, ACL, acl,
						  sizeof(acl) - 1, 0),
			 DOSSIER_EINVAL);
	assert_int_equal(sandbox_may_read(s, &bob, rec), DOSSIER_EDENIED);
	/* default ACLs mean nothing here: none to read, any accepted */
	assert_int_equal(dossier_archive_getxattr(s->a, &root, rec,
						  ACL_DEFAULT, acl,
						  sizeof(acl), &len),
			 DOSSIER_ENODATA);
	assert_int_equal(dossier_archive_setxattr(s->a, &root, rec,
						  ACL_DEFAULT, acl,
						  sizeof(acl), 0), 0);
	assert_int_equal(sandbox_may_read(s, &bob, rec), DOSSIER_EDENIED);
	dossier_error_clear();
}

static void test_meta__owner_scope_and_department(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	char v[64];

	assert_int_equal(set(s, &root, rec, "user.dossier.owner", "nobody"),
			 DOSSIER_EINVAL);
	assert_int_equal(set(s, &root, rec, "user.dossier.scope", "galaxy"),
			 DOSSIER_EINVAL);
	assert_int_equal(set(s, &root, rec, "user.dossier.owner", "bob"), 0);
	assert_int_equal(dossier_archive_getattr(s->a, &root, rec, &at), 0);
	assert_int_equal(at.st.st_uid, bob.uid);
	assert_int_equal(get(s, &root, rec, "user.dossier.owner", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "bob");
	assert_int_equal(set(s, &root, rec, "user.dossier.scope", "company"),
			 0);
	assert_int_equal(get(s, &root, rec, "user.dossier.scope", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "company");
	assert_int_equal(set(s, &root, rec, "user.dossier.dept", "service"),
			 0);
	assert_int_equal(get(s, &root, rec, "user.dossier.dept", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "service");
	/* other user.dossier.* names are plain attributes */
	assert_int_equal(set(s, &root, rec, "user.dossier.note", "x"), 0);
	assert_int_equal(get(s, &root, rec, "user.dossier.note", v,
			     sizeof(v)), 0);
	assert_string_equal(v, "x");
}

#define T(name) cmocka_unit_test_setup_teardown(test_meta__##name, setup, \
						  sandbox_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(classification_read_as_attributes),
		T(computed_names_listed_first),
		T(reclassified_by_archivists_only),
		T(lowering_needs_a_reason),
		T(acl_shows_the_rules),
		T(setfacl_lends_and_takes_back),
		T(malformed_and_default_acls),
		T(owner_scope_and_department),
	};

	return cmocka_run_group_tests_name("meta", tests, NULL, NULL);
}
