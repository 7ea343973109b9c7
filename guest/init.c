/*
 * kcross guest init (PID 1): mount proc, sysfs and devtmpfs, run the tests listed in
 * /kcross/tests (one name per line) each in its own process, print KTAP version 1 on the
 * console, then power off. Results never depend on anything but the tests' own checks.
 */
#define _GNU_SOURCE
#include "kcross-guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct test {
	const char *name;
	int (*run)(struct outcome *o);
};

static const struct test tests[] = {
	{ "boot", test_boot },
	{ "devdax-pud-mprotect", test_devdax_pud_mprotect },
	{ "selftest-fail", test_selftest_fail },
	{ "selftest-hang", test_selftest_hang },
	{ "kunit", test_kunit },
};

static void out(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	/* one KTAP line: no embedded newlines */
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	out(buf, (size_t)n);
}

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

static int set_reason(struct outcome *o, enum verdict v, const char *fmt, va_list ap)
{
	if (o->reason[0] == '\0')
		vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	if (o->verdict != V_FAIL)
		o->verdict = v;
	return o->verdict;
}

int fail(struct outcome *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_reason(o, V_FAIL, fmt, ap);
	va_end(ap);
	return V_FAIL;
}

int skip(struct outcome *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int v = set_reason(o, V_SKIP, fmt, ap);
	va_end(ap);
	return v;
}

void drain_console(void)
{
	tcdrain(1);
}

int sysfs_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		diag("open %s: %s", path, strerror(e));
		return -e;
	}
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	if (n < 0) {
		diag("write '%s' to %s: %s", value, path, strerror(e));
		return -e;
	}
	return 0;
}

int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mount_or_say(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY)
		diag("mount %s on %s: %s", type, dst, strerror(errno));
}

static void power_off(void)
{
	line("# kcross: powering off");
	drain_console();
	sync();
	reboot(RB_POWER_OFF);
	/* no power-off handler: with -no-reboot, QEMU ends on a reboot request too */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static const struct test *find_test(const char *name)
{
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(tests[i].name, name) == 0)
			return &tests[i];
	return NULL;
}

static void run_one(int number, const char *name)
{
	const struct test *t = find_test(name);
	if (!t) {
		line("not ok %d %s # this init has no test of that name", number, name);
		return;
	}
	struct outcome *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (o == MAP_FAILED) {
		line("not ok %d %s # mmap for the result failed: %s", number, name, strerror(errno));
		return;
	}
	memset(o, 0, sizeof(*o));
	o->verdict = V_FAIL;
	snprintf(o->reason, sizeof(o->reason), "the test process ended without a verdict");
	long long t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		line("not ok %d %s # fork failed: %s", number, name, strerror(errno));
		return;
	}
	if (pid == 0) {
		struct outcome mine = { V_PASS, "" };
		int v = t->run(&mine);
		if (v == V_FAIL)
			mine.verdict = V_FAIL;
		else if (v == V_SKIP && mine.verdict == V_PASS)
			mine.verdict = V_SKIP;
		*o = mine;
		_exit(0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	diag("%s took %lld ms", name, now_ms() - t0);
	if (WIFSIGNALED(status)) {
		line("not ok %d %s # the test process was killed by signal %d (%s)", number, name,
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (o->verdict == V_PASS) {
		line("ok %d %s", number, name);
	} else if (o->verdict == V_SKIP) {
		line("ok %d %s # SKIP %s", number, name, o->reason);
	} else {
		line("not ok %d %s # %s", number, name, o->reason[0] ? o->reason : "failed");
	}
	munmap(o, sizeof(*o));
}

int main(void)
{
	mount_or_say("proc", "/proc", "proc");
	mount_or_say("sysfs", "/sys", "sysfs");
	mount_or_say("devtmpfs", "/dev", "devtmpfs");
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}

	char names[16][64];
	int count = 0;
	FILE *f = fopen("/kcross/tests", "r");
	int open_errno = errno;
	if (f) {
		char buf[256];
		while (count < 16 && fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\r\n")] = '\0';
			if (buf[0] == '\0' || buf[0] == '#')
				continue;
			snprintf(names[count++], sizeof(names[0]), "%s", buf);
		}
		fclose(f);
	}

	line("KTAP version 1");
	line("1..%d", count);
	if (!f)
		diag("cannot read /kcross/tests: %s", strerror(open_errno));
	for (int i = 0; i < count; i++)
		run_one(i + 1, names[i]);
	power_off();
	return 0;
}
