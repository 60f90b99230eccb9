/* The vmap trees' balanced search tree (see vtree.h). The kernel uses a
 * red-black tree with parent pointers; an AVL tree without them gives the
 * same O(log n) bounds with short recursive code, and its rebalancing
 * touches only the nodes on the search path, which is where the
 * augmentation must be recomputed anyway. No locks of its own: a tree
 * belongs to its vmap node, under that node's lock. */
#include <stddef.h>
#include "lib/compiler.h"
#include "vmalloc/vtree.h"

static inline int height(const struct vtree_node *n)
{
	return n ? n->height : 0;
}

static inline void fix(const struct vtree_ops *ops, struct vtree_node *n)
{
	n->height = 1 + MAX(height(n->left), height(n->right));
	if (ops->augment)
		ops->augment(n);
}

static struct vtree_node *rotate_right(const struct vtree_ops *ops, struct vtree_node *y)
{
	struct vtree_node *x = y->left;

	y->left = x->right;
	x->right = y;
	fix(ops, y);
	fix(ops, x);
	return x;
}

static struct vtree_node *rotate_left(const struct vtree_ops *ops, struct vtree_node *x)
{
	struct vtree_node *y = x->right;

	x->right = y->left;
	y->left = x;
	fix(ops, x);
	fix(ops, y);
	return y;
}

static struct vtree_node *balance(const struct vtree_ops *ops, struct vtree_node *n)
{
	int bf;

	fix(ops, n);
	bf = height(n->left) - height(n->right);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(ops, n->left);
		return rotate_right(ops, n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(ops, n->right);
		return rotate_left(ops, n);
	}
	return n;
}

static struct vtree_node *insert(const struct vtree_ops *ops, struct vtree_node *root,
				 struct vtree_node *n, unsigned long key)
{
	if (!root) {
		n->left = n->right = NULL;
		fix(ops, n);
		return n;
	}
	if (key < ops->key(root))
		root->left = insert(ops, root->left, n, key);
	else
		root->right = insert(ops, root->right, n, key);
	return balance(ops, root);
}

void vtree_insert(struct vtree *t, struct vtree_node *n)
{
	t->root = insert(t->ops, t->root, n, t->ops->key(n));
}

static struct vtree_node *remove_min(const struct vtree_ops *ops, struct vtree_node *n,
				     struct vtree_node **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = remove_min(ops, n->left, min);
	return balance(ops, n);
}

static struct vtree_node *erase(const struct vtree_ops *ops, struct vtree_node *root,
				unsigned long key)
{
	unsigned long k;

	if (!root)
		return NULL;
	k = ops->key(root);
	if (key < k) {
		root->left = erase(ops, root->left, key);
	} else if (key > k) {
		root->right = erase(ops, root->right, key);
	} else {
		struct vtree_node *l = root->left, *r = root->right, *m;

		if (!r)
			return l;
		r = remove_min(ops, r, &m);
		m->left = l;
		m->right = r;
		return balance(ops, m);
	}
	return balance(ops, root);
}

void vtree_erase(struct vtree *t, struct vtree_node *n)
{
	t->root = erase(t->ops, t->root, t->ops->key(n));
	n->left = n->right = NULL;
}

static void update(const struct vtree_ops *ops, struct vtree_node *root, unsigned long key)
{
	unsigned long k;

	if (!root)
		return;
	k = ops->key(root);
	if (key < k)
		update(ops, root->left, key);
	else if (key > k)
		update(ops, root->right, key);
	fix(ops, root);
}

void vtree_update(struct vtree *t, const struct vtree_node *n)
{
	update(t->ops, t->root, t->ops->key(n));
}

struct vtree_node *vtree_floor(const struct vtree *t, unsigned long key)
{
	struct vtree_node *n = t->root, *best = NULL;

	while (n) {
		if (t->ops->key(n) <= key) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

struct vtree_node *vtree_ceil(const struct vtree *t, unsigned long key)
{
	struct vtree_node *n = t->root, *best = NULL;

	while (n) {
		if (t->ops->key(n) >= key) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static bool walk(struct vtree_node *n, bool (*fn)(struct vtree_node *, void *), void *arg)
{
	if (!n)
		return true;
	return walk(n->left, fn, arg) && fn(n, arg) && walk(n->right, fn, arg);
}

void vtree_walk(const struct vtree *t, bool (*fn)(struct vtree_node *n, void *arg), void *arg)
{
	walk(t->root, fn, arg);
}

static bool check(const struct vtree_ops *ops, const struct vtree_node *n, unsigned long lo,
		  unsigned long hi, unsigned long *count)
{
	unsigned long k;
	int bf;

	if (!n)
		return true;
	k = ops->key(n);
	if (k < lo || k > hi)
		return false;
	bf = height(n->left) - height(n->right);
	if (bf > 1 || bf < -1 || n->height != 1 + MAX(height(n->left), height(n->right)))
		return false;
	(*count)++;
	return (k == 0 || check(ops, n->left, lo, k - 1, count)) &&
	       (n->left == NULL || k != 0) &&
	       (k == ~0UL || check(ops, n->right, k + 1, hi, count)) &&
	       (n->right == NULL || k != ~0UL);
}

bool vtree_check(const struct vtree *t, unsigned long *nr_nodes)
{
	unsigned long count = 0;
	bool ok = check(t->ops, t->root, 0, ~0UL, &count);

	if (nr_nodes)
		*nr_nodes = count;
	return ok;
}
