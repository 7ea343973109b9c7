/*
 * kcross guest programs: one static /init (PID 1) that runs the tests named in
 * /kcross/tests and reports them as KTAP on the console, then powers the guest off.
 * Built by kcross for the guest arch with the arch's `guest_cc -static`.
 */
#ifndef KCROSS_GUEST_H
#define KCROSS_GUEST_H

#include <stddef.h>

enum verdict { V_PASS = 0, V_FAIL = 1, V_SKIP = 2 };

/* What a test hands back to init (in memory shared with the forked test process). */
struct outcome {
	enum verdict verdict;
	char reason[200];
};

/* A KTAP diagnostic line ("# ..."), written to the console with one write(2). */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set the outcome's reason (first call wins) and return V_FAIL / V_SKIP. */
int fail(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int skip(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wait until everything written to the console has left (so that kernel messages do not
 * land inside one of our lines). */
void drain_console(void);

/* sysfs helpers: 0 on success, else -errno (also reported with diag()). */
int sysfs_write(const char *path, const char *value);
int sysfs_read(const char *path, char *buf, size_t len);
/* Milliseconds since boot (CLOCK_MONOTONIC). */
long long now_ms(void);

/* The tests: return V_PASS / V_FAIL / V_SKIP (via fail() / skip() for a reason). */
int test_boot(struct outcome *o);
int test_selftest_fail(struct outcome *o);
int test_selftest_hang(struct outcome *o);
int test_kunit(struct outcome *o);
int test_devdax_pud_mprotect(struct outcome *o);

#endif
