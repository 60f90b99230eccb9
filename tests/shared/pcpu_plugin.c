/* A module a program loads with dlopen(), after kmm has booted or before. */
#include <kmm/kmm.h>

static DEFINE_PER_CPU(int, plugin_value) = 42;

int *pcpu_plugin_value(void)
{
	return &plugin_value;
}

int pcpu_plugin_bump(void)
{
	return this_cpu_inc_return(plugin_value);
}
