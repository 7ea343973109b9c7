/*
 * devdax-pud-mprotect: the test of "mm/mprotect: Fix dax puds" (v6.11).
 *
 * The nvdimm QEMU gives the guest is turned into device-dax with 1 GiB alignment through
 * sysfs alone (what `ndctl create-namespace -m devdax -a 1G` does), /dev/daxX.Y is mapped
 * and faulted in with PUD (1 GiB) mappings, then 1 GiB ranges are mprotect()ed to
 * PROT_READ and PROT_NONE, and back to PROT_READ|PROT_WRITE. Before the fix,
 * change_protection() meets a huge PUD it does not know, prints "bad pud" and clears it (so
 * 6.1 prints it twice: the two PUDs are gone when they are made writable again). The test
 * fails when the kernel log complains, when the mapping is not made of PUDs, when data
 * changes, when a write to the PROT_READ range is not killed by a signal (it reports which
 * signal), or when a read of the PROT_NONE range is not.
 */
#define _GNU_SOURCE
#include "kcross-guest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Run `what` in a child on `addr`; return its wait status. */
static int in_child(volatile uint64_t *addr, int write_it)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (write_it)
			*addr = 0xdeadbeefULL;
		else
			(void)*addr;
		_exit(0);
	}
	int status = 0;
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGKILL: return "SIGKILL";
	default: return strsignal(sig);
	}
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
	if (!strstr(buf, "1073741824"))
		return fail(o, "%s does not support 1 GiB alignment (supported: %s)", region, buf);

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

int test_devdax_pud_mprotect(struct outcome *o)
{
	char dev[64], path[512], buf[128];
	long long t0 = now_ms();
	if (setup_devdax(o, dev, sizeof(dev)) != V_PASS)
		return V_FAIL;
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size", dev);
	unsigned long long size = read_ull(path);
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/align", dev);
	if (sysfs_read(path, buf, sizeof(buf)) != 0)
		snprintf(buf, sizeof(buf), "?");
	diag("/dev/%s: %llu MiB, align %s (set up in %lld ms)", dev, size >> 20, buf, now_ms() - t0);
	if (size < 3 * GIB)
		return fail(o, "/dev/%s has %llu MiB; the test needs 3 GiB", dev, size >> 20);
	size = 3 * GIB;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(o, "open %s: %s", path, strerror(errno));
	char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return fail(o, "mmap of %s: %s", path, strerror(errno));
	diag("mapped 3 GiB at %p (%s1 GiB aligned)", (void *)base,
	     ((uintptr_t)base & (GIB - 1)) ? "NOT " : "");

	long f0 = minflt();
	for (unsigned long long off = 0; off < size; off += STRIDE)
		*(volatile uint64_t *)(base + off) = MAGIC ^ off;
	long faults = minflt() - f0;
	long writes = (long)(size / STRIDE);
	diag("faulted 3 GiB in: %ld minor fault(s) for %ld writes", faults, writes);
	if (faults >= writes)
		return fail(o, "%ld writes took %ld faults: the mapping is not made of 1 GiB PUDs",
			    writes, faults);

	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0)
		return fail(o, "open /dev/kmsg: %s", strerror(errno));
	lseek(kmsg, 0, SEEK_END);

	/*
	 * GiB 0 to PROT_READ and GiB 1 to PROT_NONE (each a present 1 GiB PUD: before the fix,
	 * "bad pud" and the PUD cleared), checked from children; then both back to
	 * PROT_READ|PROT_WRITE, and the data must still be there. GiB 2 stays as mapped.
	 */
	drain_console();
	if (mprotect(base, GIB, PROT_READ) != 0)
		return fail(o, "mprotect(GiB 0, PROT_READ): %s", strerror(errno));
	if (mprotect(base + GIB, GIB, PROT_NONE) != 0)
		return fail(o, "mprotect(GiB 1, PROT_NONE): %s", strerror(errno));
	diag("mprotect: GiB 0 PROT_READ, GiB 1 PROT_NONE");

	char first[200] = "";
	int bad = kmsg_complaints(kmsg, first, sizeof(first));

	drain_console();
	int st = in_child((volatile uint64_t *)(base + 64), 1);
	if (st >= 0 && WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		diag("write to the PROT_READ GiB: killed by %s", sig_name(sig));
		if (sig != SIGSEGV && sig != SIGBUS)
			fail(o, "a write to the PROT_READ GiB was killed by %s", sig_name(sig));
	} else {
		diag("write to the PROT_READ GiB: not killed (status %d)", st);
		fail(o, "a write to the PROT_READ GiB succeeded");
	}
	st = in_child((volatile uint64_t *)(base + GIB + 64), 0);
	if (st >= 0 && WIFSIGNALED(st)) {
		diag("read of the PROT_NONE GiB: killed by %s", sig_name(WTERMSIG(st)));
	} else {
		diag("read of the PROT_NONE GiB: not killed (status %d)", st);
		fail(o, "a read of the PROT_NONE GiB succeeded");
	}

	drain_console();
	for (int i = 0; i < 2; i++) {
		if (mprotect(base + (unsigned long long)i * GIB, GIB, PROT_READ | PROT_WRITE) != 0)
			return fail(o, "mprotect(GiB %d, PROT_READ|PROT_WRITE): %s", i, strerror(errno));
	}
	diag("mprotect: GiB 0 and GiB 1 back to PROT_READ|PROT_WRITE");
	st = in_child((volatile uint64_t *)(base + 64), 1);
	if (st >= 0 && WIFSIGNALED(st)) {
		diag("write to GiB 0 made writable again: killed by %s", sig_name(WTERMSIG(st)));
		fail(o, "a write to GiB 0 made writable again was killed by %s",
		     sig_name(WTERMSIG(st)));
	} else {
		diag("write to GiB 0 made writable again: ok");
	}
	/* Every GiB still holds what was written before the mprotect() calls. */
	for (unsigned long long off = 0; off < size; off += STRIDE) {
		uint64_t v = *(volatile uint64_t *)(base + off);
		if (v != (MAGIC ^ off)) {
			fail(o, "+%#llx reads %#llx after mprotect, %#llx was written", off,
			     (unsigned long long)v, MAGIC ^ off);
			break;
		}
	}

	bad += kmsg_complaints(kmsg, bad ? NULL : first, sizeof(first));
	close(kmsg);
	munmap(base, size);
	close(fd);
	if (bad)
		return fail(o, "the kernel logged %d complaint(s): %s", bad, first);
	return o->verdict == V_FAIL ? V_FAIL : V_PASS;
}
