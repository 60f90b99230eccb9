/* Static per-CPU variables (DEFINE_PER_CPU) and the this_cpu_* family:
 * one copy per CPU, the same per_cpu_ptr arithmetic as alloc_percpu, the
 * kernel's conversions (percpu_test's sign extension), and updates from
 * interrupt context on the same CPU that are never lost. */
#include <pthread.h>
#include <sys/mman.h>
#include "kmm_test.h"

DECLARE_PER_CPU(int, seven);
DEFINE_PER_CPU(int, seven) = 7;
static DEFINE_PER_CPU(long, long_counter);
static DEFINE_PER_CPU(unsigned long, ulong_counter);
static DEFINE_PER_CPU(unsigned char, byte_counter);
static DEFINE_PER_CPU(short, short_counter);
static DEFINE_PER_CPU(int[3], triple) = { 1, 2, 3 };
static DEFINE_PER_CPU_ALIGNED(unsigned long, aligned_counter);
static DEFINE_PER_CPU_SHARED_ALIGNED(unsigned int, shared_aligned);
static DEFINE_PER_CPU_READ_MOSTLY(void *, read_mostly);
static DEFINE_PER_CPU_PAGE_ALIGNED(char, page_aligned[100]);

static unsigned long addr(const void *p)
{
	return (unsigned long)p;
}

static void test_one_copy_per_cpu(void **state)
{
	long *dyn;
	int cpu;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=4 kswapd=off"), 0);
	dyn = alloc_percpu(long);
	assert_non_null(dyn);
	for_each_possible_cpu(cpu) {
		/* every copy starts as the template */
		assert_int_equal(per_cpu(seven, cpu), 7);
		assert_int_equal(per_cpu(triple, cpu)[2], 3);
		assert_int_equal(per_cpu(long_counter, cpu), 0);
		per_cpu(long_counter, cpu) = 100 + cpu;
		per_cpu(triple, cpu)[1] = cpu;
		/* static and dynamic pointers move by the same offsets */
		assert_int_equal(addr(per_cpu_ptr(&long_counter, cpu)) - addr(&long_counter),
				 addr(per_cpu_ptr(dyn, cpu)) - addr(dyn));
		assert_int_equal(per_cpu_offset(cpu), addr(per_cpu_ptr(dyn, cpu)) - addr(dyn));
		assert_int_equal(addr(per_cpu_ptr(&aligned_counter, cpu)) % 64, 0);
		assert_int_equal(addr(per_cpu_ptr(&shared_aligned, cpu)) % 64, 0);
		assert_int_equal(addr(per_cpu_ptr(&page_aligned, cpu)) % 4096, 0);
		assert_null(per_cpu(read_mostly, cpu));
		for (int other = 0; other < cpu; other++) {
			/* copies of two CPUs never share a cache line */
			assert_true(addr(per_cpu_ptr(&seven, cpu)) - addr(per_cpu_ptr(&seven, other)) >= 64);
			assert_ptr_not_equal(per_cpu_ptr(&long_counter, cpu),
					     per_cpu_ptr(&long_counter, other));
		}
	}
	for_each_possible_cpu(cpu) {
		assert_int_equal(per_cpu(long_counter, cpu), 100 + cpu);
		assert_int_equal(per_cpu(triple, cpu)[1], cpu);
	}
	/* the template is not a copy: it keeps the initial values */
	assert_int_equal(triple[1], 2);
	assert_int_equal(long_counter, 0);

	kmm_cpu_bind(3);
	assert_ptr_equal(this_cpu_ptr(&seven), per_cpu_ptr(&seven, 3));
	assert_ptr_equal(raw_cpu_ptr(&seven), per_cpu_ptr(&seven, 3));
	assert_int_equal(this_cpu_read(long_counter), 103);
	assert_int_equal(get_cpu_var(long_counter), 103);
	assert_true(in_atomic());
	put_cpu_var(long_counter);
	assert_ptr_equal(get_cpu_ptr(dyn), per_cpu_ptr(dyn, 3));
	put_cpu_ptr(dyn);
	assert_false(in_atomic());
	kmm_cpu_unbind();
	free_percpu(dyn);
	EXPECT_ONE_REPORT("was not allocated by alloc_percpu", free_percpu(&long_counter));
	assert_int_equal(kmm_exit(), 0);
}

/* A new boot starts from the templates again, with its own CPU count;
 * while kmm is down every access reaches the template. */
static void test_reboot_starts_from_templates(void **state)
{
	int cpu, n = 0;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	per_cpu(seven, 1) = 70;
	assert_int_equal(kmm_exit(), 0);
	assert_ptr_equal(per_cpu_ptr(&seven, 1), &seven);
	assert_int_equal(per_cpu(seven, 1), 7);
	assert_int_equal(kmm_init("mem=64M nr_cpus=3 kswapd=off"), 0);
	for_each_possible_cpu(cpu) {
		assert_int_equal(per_cpu(seven, cpu), 7);
		n++;
	}
	assert_int_equal(n, 3);
	/* a thread bound to no CPU, or to a CPU of a former boot, uses CPU 0's */
	assert_ptr_equal(per_cpu_ptr(&seven, 1000), per_cpu_ptr(&seven, 0));
	assert_int_equal(kmm_exit(), 0);
}

/* percpu_test's sequence (lib/percpu_test.c) for one family of operations:
 * the value is converted to the variable's type, and sub negates the
 * converted value. */
#define CHECK_PCP(native, pcp, expected, read) do {			\
	assert_true((long long)(native) == (long long)(expected));	\
	assert_true((long long)read(pcp) == (long long)(expected));	\
} while (0)

#define SIGN_EXTENSION(P) do {						\
	volatile unsigned int ui_one = 1;				\
	long l = 0;							\
	unsigned long ul = 0;						\
	P##write(long_counter, 0);					\
	l += -1;							\
	P##add(long_counter, -1);					\
	CHECK_PCP(l, long_counter, -1, P##read);			\
	l += 1;								\
	P##add(long_counter, 1);					\
	CHECK_PCP(l, long_counter, 0, P##read);				\
	ul = 0;								\
	P##write(ulong_counter, 0);					\
	ul += 1UL;							\
	P##add(ulong_counter, 1UL);					\
	CHECK_PCP(ul, ulong_counter, 1, P##read);			\
	ul += -1UL;							\
	P##add(ulong_counter, -1UL);					\
	CHECK_PCP(ul, ulong_counter, 0, P##read);			\
	ul -= 1;							\
	P##dec(ulong_counter);						\
	assert_true(P##read(ulong_counter) == ULONG_MAX);		\
	l += -ui_one;							\
	P##add(long_counter, -ui_one);					\
	CHECK_PCP(l, long_counter, 0xffffffff, P##read);		\
	l += ui_one;							\
	P##add(long_counter, ui_one);					\
	CHECK_PCP(l, long_counter, (long)0x100000000LL, P##read);	\
	l = 0;								\
	P##write(long_counter, 0);					\
	l -= ui_one;							\
	P##sub(long_counter, ui_one);					\
	CHECK_PCP(l, long_counter, -1, P##read);			\
	ul = 0;								\
	P##write(ulong_counter, 0);					\
	ul -= ui_one;							\
	P##sub(ulong_counter, ui_one);					\
	assert_true(P##read(ulong_counter) == ULONG_MAX && ul == ULONG_MAX); \
	P##write(ulong_counter, 3);					\
	assert_true(P##sub_return(ulong_counter, ui_one) == 2);		\
	assert_true(P##add_return(ulong_counter, 5) == 7);		\
	assert_true(P##inc_return(ulong_counter) == 8);			\
	assert_true(P##dec_return(ulong_counter) == 7);			\
	/* narrow types wrap in their own width */			\
	P##write(byte_counter, 0);					\
	P##dec(byte_counter);						\
	assert_int_equal(P##read(byte_counter), 255);			\
	P##add(byte_counter, 2);					\
	assert_int_equal(P##read(byte_counter), 1);			\
	P##write(short_counter, 5);					\
	P##sub(short_counter, 7u);					\
	assert_int_equal(P##read(short_counter), -2);			\
	/* and, or, xchg, cmpxchg */					\
	P##write(ulong_counter, 0xf0);					\
	P##or(ulong_counter, 0x0f);					\
	P##and(ulong_counter, 0x3c);					\
	assert_int_equal(P##read(ulong_counter), 0x3c);			\
	assert_int_equal(P##xchg(ulong_counter, 9), 0x3c);		\
	assert_int_equal(P##cmpxchg(ulong_counter, 8, 1), 9);		\
	assert_int_equal(P##read(ulong_counter), 9);			\
	assert_int_equal(P##cmpxchg(ulong_counter, 9, 1), 9);		\
	assert_int_equal(P##read(ulong_counter), 1);			\
	unsigned long old = 5;						\
	assert_false(P##try_cmpxchg(ulong_counter, &old, 2));		\
	assert_int_equal(old, 1);					\
	assert_true(P##try_cmpxchg(ulong_counter, &old, 2));		\
	assert_int_equal(P##read(ulong_counter), 2);			\
	P##inc(long_counter);						\
} while (0)

static void test_operations_and_sign_extension(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(1);
	preempt_disable();
	SIGN_EXTENSION(this_cpu_);
	SIGN_EXTENSION(__this_cpu_);
	SIGN_EXTENSION(raw_cpu_);
	preempt_enable();
	/* only CPU 1's copies changed */
	assert_int_equal(per_cpu(long_counter, 1), 0);
	assert_int_equal(per_cpu(ulong_counter, 1), 2);
	assert_int_equal(per_cpu(long_counter, 0), 0);
	assert_int_equal(per_cpu(ulong_counter, 0), 0);
	assert_int_equal(per_cpu(byte_counter, 0), 0);

	/* the same operations on an alloc_percpu pointer */
	struct { long a; unsigned int b; } *d = alloc_percpu(__typeof__(*d));
	this_cpu_sub(d->a, 1u);
	assert_int_equal(this_cpu_read(d->a), -1);
	this_cpu_add(d->b, -1);
	assert_int_equal(__this_cpu_add_return(d->b, 2), 1);
	assert_int_equal(raw_cpu_xchg(d->a, 4), -1);
	assert_int_equal(per_cpu_ptr(d, 1)->a, 4);
	assert_int_equal(per_cpu_ptr(d, 0)->a, 0);
	free_percpu(d);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* A task and an interrupt on the same CPU update the same variables as
 * fast as they can: no update is lost, and the other CPU's copy is not
 * touched. */
enum { IRQ_ROUNDS = 200000 };

static DEFINE_PER_CPU(unsigned long, hits);
static DEFINE_PER_CPU(long, balance);
static DEFINE_PER_CPU(unsigned long, cas_hits);
static volatile int irq_start;

static void hammer(void)
{
	for (int i = 0; i < IRQ_ROUNDS; i++) {
		this_cpu_inc(hits);
		__this_cpu_add(balance, 3);
		raw_cpu_sub(balance, 3u);
		unsigned long old = this_cpu_read(cas_hits);
		while (!this_cpu_try_cmpxchg(cas_hits, &old, old + 1))
			;
	}
}

static void *irq_thread(void *arg)
{
	(void)arg;
	kmm_cpu_bind(1);
	while (!__atomic_load_n(&irq_start, __ATOMIC_ACQUIRE))
		;
	kmm_irq_enter();
	assert_true(in_interrupt());
	hammer();
	kmm_irq_exit();
	kmm_cpu_unbind();
	return NULL;
}

static void test_interrupt_on_the_same_cpu(void **state)
{
	pthread_t th;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(1);
	pthread_create(&th, NULL, irq_thread, NULL);
	__atomic_store_n(&irq_start, 1, __ATOMIC_RELEASE);
	hammer();
	pthread_join(th, NULL);
	assert_int_equal(this_cpu_read(hits), 2 * IRQ_ROUNDS);
	assert_int_equal(this_cpu_read(cas_hits), 2 * IRQ_ROUNDS);
	assert_int_equal(this_cpu_read(balance), 0);
	assert_int_equal(per_cpu(hits, 0), 0);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* Sections handed over by hand: a bad one is reported; one that does not
 * fit a unit, or whose copies would overlap another's, is reported and not
 * mapped; a good one loaded after boot gets its copies at once. */
static void test_sections_loaded_after_boot(void **state)
{
	size_t len = 4096;
	char *tmpl = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(tmpl != MAP_FAILED && big != MAP_FAILED);
	/* Known before boot, the buffer's copies are part of the shift's
	 * search, so their place is free whatever the address-space layout
	 * (sanitizers keep their own); let go after boot, the place is free
	 * for the loads after boot below. */
	kmm_percpu_section_register(tmpl, tmpl + 2 * len);
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	kmm_percpu_section_unregister(tmpl);
	EXPECT_ONE_REPORT("bad static per-CPU section", kmm_percpu_section_register(tmpl, tmpl));

	/* too big for a 64 KiB unit */
	EXPECT_ONE_REPORT("cannot map the per-CPU copies",
			  kmm_percpu_section_register(big, big + (128 << 10)));
	kmm_percpu_section_unregister(big);

	/* a good one: its copies appear, filled from the template */
	strcpy(tmpl, "template");
	kmm_percpu_section_register(tmpl, tmpl + len);
	kmm_percpu_section_register(tmpl, tmpl + len);	/* a second unit of the module */
	assert_string_equal((char *)per_cpu_ptr(tmpl, 1), "template");
	strcpy(per_cpu_ptr(tmpl, 1), "cpu 1");
	assert_string_equal((char *)per_cpu_ptr(tmpl, 0), "template");
	kmm_percpu_section_unregister(tmpl);
	assert_string_equal((char *)per_cpu_ptr(tmpl, 1), "cpu 1");	/* still one user */
	kmm_percpu_section_unregister(tmpl);

	/* one whose copies would share bytes with another's: CPU 0's copy of
	 * a section one unit further on is CPU 1's copy of this one */
	kmm_percpu_section_register(tmpl, tmpl + len);
	EXPECT_ONE_REPORT("cannot map the per-CPU copies",
			  kmm_percpu_section_register(tmpl + (64 << 10), tmpl + (64 << 10) + 16));
	kmm_percpu_section_unregister(tmpl + (64 << 10));
	/* two that interleave, sharing pages but no bytes, both map */
	strcpy(tmpl + len, "neighbour");
	kmm_percpu_section_register(tmpl + len, tmpl + len + 16);
	assert_string_equal((char *)per_cpu_ptr(tmpl + len, 1), "neighbour");
	kmm_percpu_section_unregister(tmpl);
	assert_string_equal((char *)per_cpu_ptr(tmpl + len, 1), "neighbour");
	kmm_percpu_section_unregister(tmpl + len);
	assert_int_equal(kmm_exit(), 0);
	munmap(tmpl, 1 << 20);
	munmap(big, 1 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_copy_per_cpu),
		cmocka_unit_test(test_reboot_starts_from_templates),
		cmocka_unit_test(test_operations_and_sign_extension),
		cmocka_unit_test(test_interrupt_on_the_same_cpu),
		cmocka_unit_test(test_sections_loaded_after_boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
