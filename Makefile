# dossierfs: one non-recursive Makefile. `make check` and `make demo`
# install what is missing first (tests/tools/install-deps.sh, as root).

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc

PKGS_CORE := sqlite3 libgit2 libutf8proc libcrypto
PKGS_FS := fuse3
PKGS_CTL := smartcols
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wwrite-strings -Wshadow -Wformat=2 -fno-common
SYNTAX_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN)
BASE_CFLAGS := $(SYNTAX_CFLAGS) -O2 -g -MMD -MP

ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=$(SANITIZE)
endif

pc = $(shell pkg-config $(1) $(2) 2>/dev/null)

# A plain `make` on a machine without the libraries says so (check, demo
# and bench install them first, then build in a sub-make).
MISSING := $(shell for p in $(PKGS_CORE) $(PKGS_FS) $(PKGS_CTL); do \
	pkg-config --exists $$p 2>/dev/null || echo $$p; done)
ifneq ($(MISSING),)
ifeq ($(filter deps check demo bench clean uninstall,$(MAKECMDGOALS)),)
$(error missing development files for: $(MISSING). Run `make deps` as \
root to install them (make check and make demo do it themselves))
endif
endif
CORE_CFLAGS = $(call pc,--cflags,$(PKGS_CORE))
CORE_LIBS = $(call pc,--libs,$(PKGS_CORE)) -lpthread
FS_CFLAGS = $(call pc,--cflags,$(PKGS_FS)) -DFUSE_USE_VERSION=314
FS_LIBS = $(call pc,--libs,$(PKGS_FS))
CTL_CFLAGS = $(call pc,--cflags,smartcols)
CTL_LIBS = $(call pc,--libs,smartcols)
TEST_CFLAGS = $(call pc,--cflags,cmocka)
TEST_LIBS = $(call pc,--libs,cmocka)

CORE_SRC := $(wildcard core/*/*.c)
# core/ is in layer folders (docs/design.md); every folder is on the
# include path, so a header is named by its file name alone.
CORE_INC := $(addprefix -I,$(sort $(dir $(wildcard core/*/*.h))))
FS_SRC := $(wildcard fs/*.c)
CTL_SRC := $(wildcard mount-helpers/dossierctl/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
# what every unit test links besides libdossier.a (tests/unit/sandbox.h)
UNIT_LIB_SRC := tests/unit/sandbox.c

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
FS_OBJ := $(FS_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ := $(CTL_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_LIB_OBJ := $(UNIT_LIB_SRC:%.c=$(BUILD)/%.o)

LIB := $(BUILD)/libdossier.a
BINS := $(BUILD)/dossierfs $(BUILD)/dossierctl $(BUILD)/mount.dossierfs

.PHONY: all deps check check-headers check-layering check-unit callgraph \
	check-integration demo bench install uninstall clean

all: $(BINS)

deps:
	@tests/tools/install-deps.sh

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CORE_INC) $(CORE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/fs/%.o: fs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CORE_INC) $(FS_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/mount-helpers/%.o: mount-helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CORE_INC) $(CTL_CFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/dossierfs: $(FS_OBJ) $(LIB)
	$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $(FS_OBJ) $(LIB) $(FS_LIBS) \
		$(CORE_LIBS)

$(BUILD)/dossierctl: $(CTL_OBJ) $(LIB)
	$(CC) $(LDFLAGS_SAN) $(LDFLAGS) -o $@ $(CTL_OBJ) $(LIB) $(CTL_LIBS) \
		$(CORE_LIBS)

$(BUILD)/mount.dossierfs: mount-helpers/mount.dossierfs
	@mkdir -p $(dir $@)
	cp $< $@
	chmod 755 $@

UNIT_CFLAGS = $(BASE_CFLAGS) $(CORE_INC) -Itests/unit $(CORE_CFLAGS) \
	$(TEST_CFLAGS) $(CFLAGS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(UNIT_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $< $(UNIT_LIB_OBJ) -o $@ $(LDFLAGS_SAN) $(LIB) \
		$(TEST_LIBS) $(CORE_LIBS)

# fs_errno is fs/'s (STYLE.md 4: unit-test it): its object and fs/ headers.
$(BUILD)/tests/test_errmap: tests/unit/test_errmap.c $(UNIT_LIB_OBJ) \
	$(BUILD)/fs/errmap.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -Ifs $< $(UNIT_LIB_OBJ) $(BUILD)/fs/errmap.o \
		-o $@ $(LDFLAGS_SAN) $(LIB) $(TEST_LIBS) $(CORE_LIBS)

# Every header compiles on its own.
check-headers:
	@set -e; for h in core/*/*.h; do \
		echo "#include \"$$h\"" | $(CC) $(SYNTAX_CFLAGS) $(CORE_CFLAGS) \
			$(CORE_INC) -x c -fsyntax-only - ; done; \
	for h in fs/*.h; do \
		echo "#include \"$$h\"" | $(CC) $(SYNTAX_CFLAGS) $(FS_CFLAGS) \
			$(CORE_INC) -Ifs -x c -fsyntax-only - ; done; \
	for h in tests/unit/*.h; do \
		echo "#include \"$$h\"" | $(CC) $(SYNTAX_CFLAGS) $(CORE_CFLAGS) \
			$(CORE_INC) -x c -fsyntax-only - ; done; \
	echo "check-headers: all headers compile alone"

# core/ never sees libfuse; fs/ never talks SQL or git; core/'s files
# call only their own layer and those below it, and no two call each
# other, directly or around a loop (callgraph.sh, read from the objects).
check-layering: all
	@tests/tools/check-layering.sh
	@tests/tools/callgraph.sh $(BUILD)/core > $(BUILD)/callgraph.txt || \
		{ sed -n '/^# calls against/,$$p' $(BUILD)/callgraph.txt; exit 1; }
	@echo "check-layering: core/ calls only downward, no loops"

# Every call between core files, and any breach of the layers.
callgraph: all
	@tests/tools/callgraph.sh $(BUILD)/core

check-unit: $(UNIT_BIN)

$(BUILD)/tests/fsop: tests/tools/fsop.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ $(LDFLAGS_SAN)

$(BUILD)/tests/hostile: tests/tools/hostile.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ $(LDFLAGS_SAN)

$(BUILD)/tests/ocrscore: tests/tools/ocrscore.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ $(LDFLAGS_SAN)

check-integration: all $(BUILD)/tests/fsop $(BUILD)/tests/hostile \
	$(BUILD)/tests/ocrscore

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(BUILD)/tests/fsop \
		$(BUILD)/tests/hostile $(BUILD)/tests/ocrscore
	@$(MAKE) --no-print-directory check-headers check-layering
	@tests/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/tools/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(abspath $(BUILD)) tests/bench/bench.sh

# make install [PREFIX=/usr/local] [DESTDIR=...]: the daemon, dossierctl,
# the mount helpers (mount(8) looks only in /sbin: SBINDIR), man pages,
# bash completion, systemd units (paths to PREFIX written in), and the
# Samba, fstab and /etc/default examples.
SBINDIR ?= /sbin
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/dossierfs
UNITS := $(wildcard mount-helpers/systemd/*.service \
	mount-helpers/systemd/*.timer mount-helpers/systemd/*.mount)
EXAMPLES := mount-helpers/samba/smb.conf.example \
	mount-helpers/systemd/dossierfs.default mount-helpers/fstab.example

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/dossierfs $(BUILD)/dossierctl \
		$(DESTDIR)$(BINDIR)/
	# mount -t dossierfs runs /sbin/mount.dossierfs, -t fuse.dossierfs
	# /sbin/mount.fuse.dossierfs: the same helper
	sed 's|^bindir=.*|bindir=$(BINDIR)|' mount-helpers/mount.dossierfs \
		> $(DESTDIR)$(SBINDIR)/mount.dossierfs
	chmod 755 $(DESTDIR)$(SBINDIR)/mount.dossierfs
	ln -sf mount.dossierfs $(DESTDIR)$(SBINDIR)/mount.fuse.dossierfs
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 docs/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 mount-helpers/bash-completion/dossierctl \
		$(DESTDIR)$(COMPDIR)/dossierctl
	for u in $(UNITS); do \
		sed 's|/usr/local/bin/|$(BINDIR)/|g' $$u \
			> $(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; \
	done
	install -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/dossierfs $(DESTDIR)$(BINDIR)/dossierctl \
		$(DESTDIR)$(SBINDIR)/mount.dossierfs \
		$(DESTDIR)$(SBINDIR)/mount.fuse.dossierfs \
		$(DESTDIR)$(COMPDIR)/dossierctl
	for f in docs/man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$$(basename $$f); done
	for f in docs/man/*.8; do rm -f $(DESTDIR)$(MANDIR)/man8/$$(basename $$f); done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	for f in $(EXAMPLES); do rm -f $(DESTDIR)$(DOCDIR)/$$(basename $$f); done
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)

-include $(CORE_OBJ:.o=.d) $(FS_OBJ:.o=.d) $(CTL_OBJ:.o=.d) \
	$(UNIT_BIN:=.d) $(UNIT_LIB_OBJ:.o=.d)
