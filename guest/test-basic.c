/* Tests of the harness itself: the guest reached init; a test that fails is reported. */
#define _GNU_SOURCE
#include "kcross-guest.h"

#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

int test_boot(struct outcome *o)
{
	struct utsname u;
	if (uname(&u) != 0)
		return fail(o, "uname failed");
	diag("kernel %s %s on %s", u.release, u.version, u.machine);
	if (access("/proc/self/stat", R_OK) != 0)
		return fail(o, "/proc is not mounted");
	if (access("/sys/kernel", F_OK) != 0)
		return fail(o, "/sys is not mounted");
	return V_PASS;
}

int test_selftest_fail(struct outcome *o)
{
	diag("this test always fails: it checks that a failing guest test is reported");
	return fail(o, "deliberate failure (selftest)");
}

/* Never ends (checks that a guest that hangs is ended at the boot timeout and reported as
 * a timeout): says so once, then waits silently. */
int test_selftest_hang(struct outcome *o)
{
	(void)o;
	diag("this test never ends: it checks that a hung guest is reported as a timeout");
	for (;;)
		pause();
	return V_PASS;
}

/* The kernel runs its built-in KUnit suites before init and prints their KTAP; kcross reads
 * that from the console. This only says whether the kernel has KUnit at all. */
int test_kunit(struct outcome *o)
{
	if (access("/sys/module/kunit", F_OK) != 0)
		return skip(o, "the kernel has no KUnit (no /sys/module/kunit: CONFIG_KUNIT is off)");
	diag("the kernel ran its built-in KUnit suites before init; their KTAP is on the console");
	return V_PASS;
}
