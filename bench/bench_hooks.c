/* SPDX-License-Identifier: MIT */
/* bench_hooks.c - placeholder until the benchmark lands. */
int main(void)
{
	return 0;
}
