/* Placeholder until the runtime helper lands. */
#include <stdio.h>
int main(void) { fputs("tsdocker-runtime: not implemented yet\n", stderr); return 125; }
