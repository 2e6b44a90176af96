/* app.c - the legitimate program of t/attack/Makefile.worm's project */
#include <stdio.h>

int main(void)
{
	puts("app built");
	return 0;
}
