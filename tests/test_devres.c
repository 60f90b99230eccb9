/* devres: release order (newest first), devm_kfree, a foreign pointer,
 * the helpers, and many threads adding to one device. */
#include <pthread.h>
#include "kmm_test.h"

static int setup(void **state)
{
	(void)state;
	return kmm_init("mem=128M nr_cpus=2 kswapd=off");
}

static int teardown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

static int order_log[16], order_len;

static void record(void *data)
{
	order_log[order_len++] = (int)(long)data;
}

static void test_release_order(void **state)
{
	struct device *dev = kmm_device_create("orderdev");

	(void)state;
	order_len = 0;
	for (long i = 1; i <= 5; i++) {
		assert_int_equal(devm_add_action(dev, record, (void *)i), 0);
		assert_non_null(devm_kmalloc(dev, 100 * (size_t)i, GFP_KERNEL));
	}
	kmm_device_detach(dev);
	assert_int_equal(order_len, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order_log[i], 5 - i);
	/* a detached device can be used again */
	assert_non_null(devm_kzalloc(dev, 10, GFP_KERNEL));
	kmm_device_destroy(dev);
}

static void test_helpers_and_kfree(void **state)
{
	struct device *dev = kmm_device_create("helpers");
	char *s = devm_kstrdup(dev, "hello", GFP_KERNEL);
	int *z = devm_kcalloc(dev, 50, sizeof(int), GFP_KERNEL);
	void *a = devm_kmalloc_array(dev, 4, 16, GFP_KERNEL), *mine = kmalloc(16, GFP_KERNEL);
	struct device *other = kmm_device_create("other");

	(void)state;
	assert_string_equal(s, "hello");
	assert_null(devm_kstrdup(dev, NULL, GFP_KERNEL));
	assert_int_equal(memcmp(devm_kmemdup(dev, "\1\2\3", 3, GFP_KERNEL), "\1\2\3", 3), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(z[i], 0);
	assert_non_null(a);
	assert_null(devm_kmalloc_array(dev, SIZE_MAX, 2, GFP_KERNEL));
	assert_ptr_equal(devm_kmalloc(dev, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	devm_kfree(dev, z);
	EXPECT_ONE_REPORT("is not a devm allocation of device helpers", devm_kfree(dev, mine));
	EXPECT_ONE_REPORT("is not a devm allocation of device other", devm_kfree(other, s));
	EXPECT_ONE_REPORT("is not a devm allocation", devm_kfree(dev, z));
	kfree(mine);
	kmm_device_destroy(dev);
	kmm_device_destroy(other);
}

struct worker {
	struct device *dev;
	int cpu;
};

static void *adder(void *arg)
{
	struct worker *w = arg;

	kmm_cpu_bind(w->cpu);
	for (int i = 0; i < 2000; i++) {
		char *p = devm_kmalloc(w->dev, 32 + (size_t)(i % 200), GFP_KERNEL);

		assert_non_null(p);
		p[0] = (char)i;
		if (i % 3 == 0)
			devm_kfree(w->dev, p);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct device *dev = kmm_device_create("shared");
	struct worker w[4] = { { dev, 0 }, { dev, 1 }, { dev, 0 }, { dev, 1 } };
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, &w[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	kmm_device_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_order),
		cmocka_unit_test(test_helpers_and_kfree),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
