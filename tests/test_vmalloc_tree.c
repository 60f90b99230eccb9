/* The vmap trees: a randomized model check of the augmented balanced
 * tree (ordering, balance, subtree maxima, floor/ceil, lowest fit). */
#include "kmm_test.h"
#include "lib/compiler.h"
#include "vmalloc/vtree.h"

struct item {
	struct vtree_node node;
	unsigned long key, size, max;
	bool in;
};

static unsigned long item_key(const struct vtree_node *n)
{
	return container_of(n, struct item, node)->key;
}

static unsigned long max_of(const struct vtree_node *n)
{
	return n ? container_of(n, struct item, node)->max : 0;
}

static void item_augment(struct vtree_node *n)
{
	struct item *it = container_of(n, struct item, node);

	it->max = MAX(it->size, MAX(max_of(n->left), max_of(n->right)));
}

static const struct vtree_ops ops = { .key = item_key, .augment = item_augment };

#define N 2000

static struct item items[N];

static bool check_max(struct vtree_node *n, void *arg)
{
	bool *ok = arg;

	if (max_of(n) != MAX(container_of(n, struct item, node)->size,
			     MAX(max_of(n->left), max_of(n->right))))
		*ok = false;
	return *ok;
}

/* Lowest key whose size >= want, by descent on the maxima. */
static struct item *lowest_fit(struct vtree *t, unsigned long want)
{
	struct vtree_node *n = t->root;

	while (n) {
		if (max_of(n->left) >= want)
			n = n->left;
		else if (container_of(n, struct item, node)->size >= want)
			return container_of(n, struct item, node);
		else
			n = n->right;
	}
	return NULL;
}

static void test_random_model(void **state)
{
	struct vtree t = { .ops = &ops };
	unsigned int seed = 42;
	unsigned long count = 0;

	(void)state;
	for (int i = 0; i < N; i++)
		items[i] = (struct item){ .key = (unsigned long)i * 10 + 5, .size = 0 };
	for (int step = 0; step < 20000; step++) {
		struct item *it = &items[rand_r(&seed) % N];
		int op = rand_r(&seed) % 3;
		unsigned long nodes, want;
		bool ok = true;

		if (!it->in && op != 2) {
			it->size = 1 + rand_r(&seed) % 1000;
			vtree_insert(&t, &it->node);
			it->in = true;
			count++;
		} else if (it->in && op == 0) {
			vtree_erase(&t, &it->node);
			it->in = false;
			count--;
		} else if (it->in) {
			/* Move the key within its gap and change the size. */
			it->key = (it->key / 10) * 10 + (unsigned long)(rand_r(&seed) % 10);
			it->size = 1 + rand_r(&seed) % 1000;
			vtree_update(&t, &it->node);
		}
		if (step % 97)
			continue;
		assert_true(vtree_check(&t, &nodes));
		assert_int_equal(nodes, count);
		vtree_walk(&t, check_max, &ok);
		assert_true(ok);
		want = 1 + rand_r(&seed) % 1000;
		{
			struct item *fit = lowest_fit(&t, want), *ref = NULL;
			unsigned long probe = (unsigned long)(rand_r(&seed) % (N * 10));
			struct vtree_node *fl = vtree_floor(&t, probe), *ce = vtree_ceil(&t, probe);
			struct item *rf = NULL, *rc = NULL;

			for (int i = 0; i < N; i++) {
				struct item *x = &items[i];

				if (!x->in)
					continue;
				if (x->size >= want && (!ref || x->key < ref->key))
					ref = x;
				if (x->key <= probe && (!rf || x->key > rf->key))
					rf = x;
				if (x->key >= probe && (!rc || x->key < rc->key))
					rc = x;
			}
			assert_ptr_equal(fit, ref);
			assert_ptr_equal(fl ? container_of(fl, struct item, node) : NULL, rf);
			assert_ptr_equal(ce ? container_of(ce, struct item, node) : NULL, rc);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
