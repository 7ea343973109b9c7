/*
 * devdax-pud-mprotect: the test of "mm/mprotect: Fix dax puds" (v6.11).
 *
 * The nvdimm QEMU gives the guest is turned into device-dax with 1 GiB alignment through
 * sysfs alone (what `ndctl create-namespace -m devdax -a 1G` does), /dev/daxX.Y is mapped
 * and faulted in with PUD (1 GiB) mappings, then 1 GiB ranges are mprotect()ed to
 * PROT_READ and PROT_NONE, and back to PROT_READ|PROT_WRITE. Before the fix,
 * change_protection() meets a huge PUD it does not know, prints "bad pud" and clears it.
 *
 * Everything is probed in this process, whose page tables hold the PUDs (a forked child
 * would fault afresh: fork() does not copy the page tables of a shared device-dax mapping),
 * with a SIGSEGV/SIGBUS handler that reports si_code and si_addr, and every access counted
 * in minor faults (getrusage ru_minflt): a PUD that mprotect() kept costs no fault to use
 * again, a PUD it zapped costs one to fault back in. Each probe touches a page nothing
 * touched before, so that it walks the page tables. What the kernel did is printed as
 * "# finding: <subject>: <what>" lines (kcross collects them into the boot result).
 *
 * The test fails when faulting 3 GiB in does not take exactly 3 faults (one per GiB), when
 * mprotect() zapped a PUD, when a write to the PROT_READ GiB or a read of the PROT_NONE GiB
 * is not refused with SIGSEGV, when the data changed, when the never-mprotect()ed GiB 2
 * (the control) costs a fault, or when the kernel log complains. It is skipped when the
 * kernel offers no 1 GiB device-dax alignment (no PUD-level THP: nothing to test).
 */
#define _GNU_SOURCE
#include "kcross-guest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIB (1ULL << 30)
/*
 * One write per 128 MiB: 8 per GiB. With 1 GiB PUD mappings that is one fault per GiB; with
 * PMD or PTE mappings one fault per write. (Each write dirties a host page, possibly a 2 MiB
 * folio of the backing file: writing every page would cost QEMU gigabytes of RSS.)
 */
#define STRIDE (128ULL << 20)
#define MAGIC 0x6b63726f73730000ULL

static const char *const complaints[] = {
	"bad pud", "bad pmd", "bad p4d", "bad pgd", "BUG", "WARNING", "Oops", "Kernel panic",
	"Call Trace",
};

static void uuid_text(char *buf, size_t len)
{
	unsigned char b[16] = { 0 };
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(now_ms() * 31 + (long long)i * 7);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static unsigned long long read_ull(const char *path)
{
	char buf[64];
	if (sysfs_read(path, buf, sizeof(buf)) != 0)
		return 0;
	return strtoull(buf, NULL, 0);
}

/* The first entry of `dir` whose name starts with `prefix` and for which `ok` holds. */
static int find_entry(const char *dir, const char *prefix, char *out, size_t len,
		      int (*ok)(const char *dir, const char *name))
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int found = -1;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (ok && !ok(dir, e->d_name))
			continue;
		snprintf(out, len, "%s", e->d_name);
		found = 0;
		break;
	}
	closedir(d);
	return found;
}

static int has_dax_seed(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s/dax_seed", dir, name);
	return access(p, R_OK) == 0;
}

static void list_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		diag("%s: %s", dir, strerror(errno));
		return;
	}
	char buf[400] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", e->d_name);
	}
	closedir(d);
	diag("%s: %s", dir, buf[0] ? buf : "(empty)");
}

/* Kernel log lines since `fd` was opened that contain a complaint; each is quoted. */
static int kmsg_complaints(int fd, char *first, size_t first_len)
{
	int count = 0;
	char rec[2048];
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: keep reading */
		if (n <= 0)
			break;
		rec[n] = '\0';
		char *msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		for (size_t i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++) {
			if (strstr(msg, complaints[i])) {
				diag("kernel log: %s", msg);
				if (count == 0 && first)
					snprintf(first, first_len, "%s", msg);
				count++;
				break;
			}
		}
	}
	return count;
}

static long minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int wait_for(const char *path, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* A value from /kcross/devdax.conf (written by kcross when it formatted the nvdimm's info
 * block itself): 0 when found. */
static int conf_get(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/kcross/devdax.conf", "r");
	if (!f)
		return -1;
	char line[256];
	int found = -1;
	size_t k = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, key, k) == 0 && line[k] == '=') {
			snprintf(out, len, "%s", line + k + 1);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Make region `region`'s namespace a device-dax with 1 GiB alignment; `dev` gets daxX.Y. */
static int setup_devdax(struct outcome *o, char *dev, size_t dev_len)
{
	const char *nd = "/sys/bus/nd/devices";
	char region[64], path[512], buf[256], ns[64], seed[64], uuid[40];
	int ok = -1;
	for (int i = 0; i < 200 && ok != 0; i++) {
		ok = find_entry(nd, "region", region, sizeof(region), has_dax_seed);
		if (ok != 0)
			usleep(100000);
	}
	if (ok != 0) {
		list_dir(nd);
		return fail(o, "no nvdimm region with a dax seed under %s", nd);
	}
	snprintf(path, sizeof(path), "%s/%s/size", nd, region);
	unsigned long long rsize = read_ull(path);
	snprintf(path, sizeof(path), "%s/%s/dax_seed", nd, region);
	if (sysfs_read(path, seed, sizeof(seed)) != 0 || !seed[0])
		return fail(o, "%s has no dax seed", region);
	snprintf(path, sizeof(path), "%s/%s/supported_alignments", nd, seed);
	if (sysfs_read(path, buf, sizeof(buf)) != 0)
		buf[0] = '\0';
	diag("%s: %llu MiB, dax seed %s, supported alignments: %s", region, rsize >> 20, seed, buf);
	if (!strstr(buf, "1073741824")) {
		diag("finding: pud: no 1 GiB device-dax alignment (%s supports %s)", seed, buf);
		return skip(o, "this kernel offers no 1 GiB device-dax alignment (%s supports %s): "
			    "no PUD mappings to mprotect()", seed, buf);
	}

	/* The namespace: a label-less one exists already; a labelled region needs one made. */
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "namespace%s", region + strlen("region"));
	snprintf(path, sizeof(path), "%s/%s", nd, region);
	if (find_entry(path, prefix, ns, sizeof(ns), NULL) != 0) {
		list_dir(path);
		return fail(o, "%s has no namespace", region);
	}
	snprintf(path, sizeof(path), "%s/%s/size", nd, ns);
	unsigned long long nsize = read_ull(path);
	int preformatted = conf_get("dax_uuid", buf, sizeof(buf)) == 0;
	if (preformatted)
		diag("kcross wrote the device-dax info block into the nvdimm; using its settings "
		     "(/kcross/devdax.conf)");
	if (nsize == 0) {
		snprintf(path, sizeof(path), "%s/%s/max_available_extent", nd, region);
		unsigned long long avail = read_ull(path);
		if (avail == 0) {
			snprintf(path, sizeof(path), "%s/%s/available_size", nd, region);
			avail = read_ull(path);
		}
		avail &= ~(GIB - 1);
		if (conf_get("namespace_size", buf, sizeof(buf)) == 0)
			avail = strtoull(buf, NULL, 0);
		diag("%s is a label namespace seed: creating it with %llu MiB", ns, avail >> 20);
		if (conf_get("namespace_uuid", uuid, sizeof(uuid)) != 0)
			uuid_text(uuid, sizeof(uuid));
		snprintf(path, sizeof(path), "%s/%s/uuid", nd, ns);
		if (sysfs_write(path, uuid) != 0)
			return fail(o, "cannot set the uuid of %s", ns);
		snprintf(path, sizeof(path), "%s/%s/size", nd, ns);
		snprintf(buf, sizeof(buf), "%llu", avail);
		if (sysfs_write(path, buf) != 0)
			return fail(o, "cannot size %s", ns);
		nsize = avail;
	}
	snprintf(path, sizeof(path), "%s/%s/resource", nd, ns);
	unsigned long long start = read_ull(path);
	diag("%s: %llu MiB at %#llx", ns, nsize >> 20, start);
	snprintf(path, sizeof(path), "%s/%s/driver", nd, ns);
	if (access(path, F_OK) == 0) {
		snprintf(path, sizeof(path), "%s/%s/driver/unbind", nd, ns);
		if (sysfs_write(path, ns) != 0)
			return fail(o, "cannot unbind %s from its driver", ns);
	}

	if (conf_get("dax_uuid", uuid, sizeof(uuid)) != 0)
		uuid_text(uuid, sizeof(uuid));
	const char *steps[][2] = {
		{ "uuid", uuid },
		{ "mode", "pmem" },
		{ "align", "1073741824" },
		{ "namespace", ns },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", nd, seed, steps[i][0]);
		if (sysfs_write(path, steps[i][1]) != 0)
			return fail(o, "cannot set %s of %s", steps[i][0], seed);
	}
	diag("binding %s (%s, 1 GiB alignment) to dax_pmem", seed, ns);
	drain_console();
	if (sysfs_write("/sys/bus/nd/drivers/dax_pmem/bind", seed) != 0)
		return fail(o, "binding %s to dax_pmem failed", seed);

	const char *daxbus = "/sys/bus/dax/devices";
	ok = -1;
	for (int i = 0; i < 100 && ok != 0; i++) {
		ok = find_entry(daxbus, "dax", dev, dev_len, NULL);
		if (ok != 0)
			usleep(100000);
	}
	if (ok != 0) {
		list_dir(daxbus);
		return fail(o, "no device-dax device appeared after binding %s", seed);
	}
	snprintf(path, sizeof(path), "/dev/%s", dev);
	if (wait_for(path, 10) != 0)
		return fail(o, "%s did not appear", path);
	return V_PASS;
}

/*
 * Probing an address in this process: a SIGSEGV/SIGBUS handler that records the signal,
 * its si_code and si_addr and jumps back. (Not from a forked child: fork() does not copy
 * the page tables of a shared device-dax mapping, so a child faults afresh and its signal
 * comes from the VMA's permissions, not from the PUD this process has.)
 */
static sigjmp_buf probe_env;
static volatile sig_atomic_t probing;
static volatile int probe_sig, probe_code;
static void *volatile probe_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probing) {
		/* not ours: die of it as if unhandled */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(sig, &dfl, NULL);
		return;
	}
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

struct probe {
	int sig; /* 0: the access was done */
	int code;
	void *addr;
	long faults; /* minor faults the access took */
	uint64_t value; /* what a read read */
};

/* Read (or write `value` to) `*p`; the fault count is the ru_minflt delta around it. */
static void probe(volatile uint64_t *p, int write_it, uint64_t value, struct probe *r)
{
	memset(r, 0, sizeof(*r));
	probe_sig = 0;
	long f0 = minflt();
	if (sigsetjmp(probe_env, 1) == 0) {
		probing = 1;
		if (write_it)
			*p = value;
		else
			r->value = *p;
		probing = 0;
	} else {
		probing = 0;
		r->sig = probe_sig;
		r->code = probe_code;
		r->addr = probe_addr;
	}
	r->faults = minflt() - f0;
}

static const char *sig_text(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	default: return strsignal(sig);
	}
}

static const char *code_text(int sig, int code)
{
	if (sig == SIGSEGV) {
		switch (code) {
		case SEGV_MAPERR: return "SEGV_MAPERR";
		case SEGV_ACCERR: return "SEGV_ACCERR";
#ifdef SEGV_PKUERR
		case SEGV_PKUERR: return "SEGV_PKUERR";
#endif
		}
	} else if (sig == SIGBUS) {
		switch (code) {
		case BUS_ADRALN: return "BUS_ADRALN";
		case BUS_ADRERR: return "BUS_ADRERR";
		case BUS_OBJERR: return "BUS_OBJERR";
		}
	}
	return "si_code ?";
}

/* "SIGSEGV (SEGV_ACCERR) at 0x..." or "done" */
static const char *probe_text(const struct probe *r, char *buf, size_t len)
{
	if (!r->sig)
		snprintf(buf, len, "done");
	else
		snprintf(buf, len, "%s (%s, si_code %d) at %p", sig_text(r->sig),
			 code_text(r->sig, r->code), r->code, r->addr);
	return buf;
}

static const char *faults_text(long n)
{
	return n == 1 ? "fault" : "faults";
}

/* So that only the accesses under test fault: the stack grown, every current mapping
 * (text, data, stack) locked in, and the handler's path taken once. */
static void quiet_faults(void)
{
	volatile char stack[256 << 10];
	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
	if (mlockall(MCL_CURRENT) != 0)
		diag("mlockall: %s (the fault counts may include the test's own)", strerror(errno));
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t *none = mmap(NULL, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t here = 1;
	struct probe r;
	for (int i = 0; i < 2; i++) {
		probe(&here, 0, 0, &r);
		if (none != MAP_FAILED)
			probe(none, 0, 0, &r);
	}
	if (none != MAP_FAILED)
		munmap(none, (size_t)pg);
}

/* A page of GiB `gib` that nothing touched before (1 MiB steps from +64 MiB: clear of the
 * 128 MiB stride the data was written at), so that each probe walks the page tables. */
static volatile uint64_t *fresh(char *base, int gib)
{
	static int used[3];
	return (volatile uint64_t *)(base + (unsigned long long)gib * GIB + (64ULL << 20) +
				     (unsigned long long)(used[gib]++) * (1ULL << 20));
}

int test_devdax_pud_mprotect(struct outcome *o)
{
	char dev[64], path[512], buf[128], t[160];
	long long t0 = now_ms();
	if (setup_devdax(o, dev, sizeof(dev)) != V_PASS)
		return o->verdict == V_SKIP ? V_SKIP : V_FAIL;
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size", dev);
	unsigned long long size = read_ull(path);
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/align", dev);
	if (sysfs_read(path, buf, sizeof(buf)) != 0)
		snprintf(buf, sizeof(buf), "?");
	diag("/dev/%s: %llu MiB, align %s (set up in %lld ms)", dev, size >> 20, buf, now_ms() - t0);
	if (size < 3 * GIB)
		return fail(o, "/dev/%s has %llu MiB; the test needs 3 GiB", dev, size >> 20);
	size = 3 * GIB;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	quiet_faults();

	snprintf(path, sizeof(path), "/dev/%s", dev);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(o, "open %s: %s", path, strerror(errno));
	char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return fail(o, "mmap of %s: %s", path, strerror(errno));
	diag("mapped 3 GiB at %p (%s1 GiB aligned)", (void *)base,
	     ((uintptr_t)base & (GIB - 1)) ? "NOT " : "");

	/* 1. Fault 3 GiB in: with 1 GiB PUD mappings, the first write of each GiB faults. */
	long writes = (long)(size / STRIDE);
	long f0 = minflt();
	for (unsigned long long off = 0; off < size; off += STRIDE)
		*(volatile uint64_t *)(base + off) = MAGIC ^ off;
	long faults = minflt() - f0;
	diag("faulted 3 GiB in: %ld minor %s for %ld writes", faults, faults_text(faults), writes);
	if (faults != 3)
		return fail(o, "faulting 3 GiB in took %ld %s for %ld writes, not 3 (one per GiB): "
			    "the mapping is not made of 1 GiB PUDs", faults, faults_text(faults),
			    writes);
	diag("finding: fault-in: 3 faults for 3 GiB (1 GiB PUDs)");

	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0)
		return fail(o, "open /dev/kmsg: %s", strerror(errno));
	lseek(kmsg, 0, SEEK_END);
	char first[200] = "";
	struct probe r;

	/* 2. GiB 0 to PROT_READ: a read must not fault (the PUD stayed present), a write is
	 * refused. Before the fix, change_protection() met a PUD it did not know, said "bad pud"
	 * and cleared it: the read faults the PUD back in. */
	drain_console();
	if (mprotect(base, GIB, PROT_READ) != 0)
		return fail(o, "mprotect(GiB 0, PROT_READ): %s", strerror(errno));
	probe(fresh(base, 0), 0, 0, &r);
	diag("mprotect(GiB 0, PROT_READ), then a read of GiB 0: %s, %ld %s",
	     probe_text(&r, t, sizeof(t)), r.faults, faults_text(r.faults));
	if (r.sig)
		fail(o, "a read of the PROT_READ GiB 0 got %s", probe_text(&r, t, sizeof(t)));
	else if (r.faults == 0)
		diag("finding: pud: kept after mprotect(PROT_READ) (0 faults to read GiB 0 back)");
	else {
		diag("finding: pud: zapped by mprotect(PROT_READ) (%ld %s to read GiB 0 back)",
		     r.faults, faults_text(r.faults));
		fail(o, "mprotect(PROT_READ) zapped the PUD of GiB 0: %ld %s to read it back",
		     r.faults, faults_text(r.faults));
	}
	probe(fresh(base, 0), 1, 0xdeadbeefULL, &r);
	diag("a write to the PROT_READ GiB 0: %s, %ld %s", probe_text(&r, t, sizeof(t)), r.faults,
	     faults_text(r.faults));
	if (r.sig == SIGSEGV)
		diag("finding: write to PROT_READ: refused, SIGSEGV %s", code_text(r.sig, r.code));
	else if (r.sig)
		fail(o, "a write to the PROT_READ GiB 0 got %s, not SIGSEGV",
		     probe_text(&r, t, sizeof(t)));
	else {
		diag("finding: write to PROT_READ: not refused");
		fail(o, "a write to the PROT_READ GiB 0 was not refused");
	}

	/* 3. GiB 1 to PROT_NONE: a read is refused. */
	drain_console();
	if (mprotect(base + GIB, GIB, PROT_NONE) != 0)
		return fail(o, "mprotect(GiB 1, PROT_NONE): %s", strerror(errno));
	probe(fresh(base, 1), 0, 0, &r);
	diag("mprotect(GiB 1, PROT_NONE), then a read of GiB 1: %s, %ld %s",
	     probe_text(&r, t, sizeof(t)), r.faults, faults_text(r.faults));
	if (r.sig == SIGSEGV)
		diag("finding: read of PROT_NONE: refused, SIGSEGV %s", code_text(r.sig, r.code));
	else if (r.sig)
		fail(o, "a read of the PROT_NONE GiB 1 got %s, not SIGSEGV",
		     probe_text(&r, t, sizeof(t)));
	else {
		diag("finding: read of PROT_NONE: not refused");
		fail(o, "a read of the PROT_NONE GiB 1 was not refused");
	}
	int bad = kmsg_complaints(kmsg, first, sizeof(first));

	/* 4. Both back to PROT_READ|PROT_WRITE: GiB 0 and 1 read back (and written) without a
	 * fault when their PUDs were kept; GiB 2, never mprotect()ed, is the control. Then the
	 * data written at the start must be there. */
	drain_console();
	for (int i = 0; i < 2; i++) {
		if (mprotect(base + (unsigned long long)i * GIB, GIB, PROT_READ | PROT_WRITE) != 0)
			return fail(o, "mprotect(GiB %d, PROT_READ|PROT_WRITE): %s", i, strerror(errno));
	}
	long back[3];
	for (int g = 0; g < 3; g++) {
		probe(fresh(base, g), 0, 0, &r);
		back[g] = r.faults;
		if (r.sig)
			fail(o, "a read of GiB %d made PROT_READ|PROT_WRITE again got %s", g,
			     probe_text(&r, t, sizeof(t)));
		struct probe w;
		probe(fresh(base, g), 1, MAGIC, &w);
		back[g] += w.faults;
		if (w.sig)
			fail(o, "a write to GiB %d made PROT_READ|PROT_WRITE again got %s", g,
			     probe_text(&w, t, sizeof(t)));
	}
	diag("mprotect(GiB 0 and 1, PROT_READ|PROT_WRITE), then a read and a write of each GiB: "
	     "%ld, %ld, %ld %s (GiB 2: never mprotect()ed)", back[0], back[1], back[2],
	     faults_text(back[2]));
	int intact = 1;
	for (unsigned long long off = 0; off < size; off += STRIDE) {
		uint64_t v = *(volatile uint64_t *)(base + off);
		if (v != (MAGIC ^ off)) {
			fail(o, "+%#llx reads %#llx after mprotect, %#llx was written", off,
			     (unsigned long long)v, MAGIC ^ off);
			intact = 0;
			break;
		}
	}
	const char *data = intact ? "data intact" : "data CHANGED";
	if (back[2] != 0)
		fail(o, "GiB 2, never mprotect()ed, took %ld %s to read and write: the fault "
		     "counts are not the PUDs'", back[2], faults_text(back[2]));
	else if (back[0] == 0 && back[1] == 0)
		diag("finding: pud: kept after mprotect back to PROT_READ|PROT_WRITE (0 faults to "
		     "use GiB 0 and GiB 1 again; %s)", data);
	else {
		diag("finding: pud: zapped by mprotect (%ld and %ld %s to use GiB 0 and GiB 1 "
		     "again; %s after faulting back in)", back[0], back[1], faults_text(back[1]),
		     data);
		fail(o, "mprotect() zapped the PUDs: %ld and %ld %s to use GiB 0 and GiB 1 again",
		     back[0], back[1], faults_text(back[1]));
	}

	bad += kmsg_complaints(kmsg, bad ? NULL : first, sizeof(first));
	close(kmsg);
	munmap(base, size);
	close(fd);
	if (bad)
		return fail(o, "the kernel logged %d complaint(s): %s", bad, first);
	return o->verdict == V_FAIL ? V_FAIL : V_PASS;
}
