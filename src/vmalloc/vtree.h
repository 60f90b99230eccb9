/* An intrusive balanced search tree (AVL) with an augmentation hook: the
 * vmap trees. Each node carries its subtree height; an optional `augment`
 * callback recomputes a per-subtree summary (the free tree's
 * subtree_max_size, as the kernel's augmented rbtree) whenever a node's
 * children change. Every operation is O(log n); the recursion depth is the
 * tree height (at most 1.44 log2 n). No locking: the caller holds the lock
 * of the tree's vmap node. */
#ifndef KMM_VMALLOC_VTREE_H
#define KMM_VMALLOC_VTREE_H

#include <stdbool.h>

struct vtree_node {
	struct vtree_node *left, *right;
	int height;
};

struct vtree_ops {
	unsigned long (*key)(const struct vtree_node *n);
	void (*augment)(struct vtree_node *n);	/* NULL: none */
};

struct vtree {
	struct vtree_node *root;
	const struct vtree_ops *ops;
};

/* Keys are unique within a tree. */
void vtree_insert(struct vtree *t, struct vtree_node *n);
void vtree_erase(struct vtree *t, struct vtree_node *n);
/* A node's key moved without passing any other key, or its own augmented
 * input changed: recompute the summaries on the path from the root. */
void vtree_update(struct vtree *t, const struct vtree_node *n);
/* The node with the largest key <= key, or NULL. */
struct vtree_node *vtree_floor(const struct vtree *t, unsigned long key);
/* The node with the smallest key >= key, or NULL. */
struct vtree_node *vtree_ceil(const struct vtree *t, unsigned long key);
/* In-order walk; stops when fn returns false. */
void vtree_walk(const struct vtree *t, bool (*fn)(struct vtree_node *n, void *arg), void *arg);
/* Debug walk: ordering, balance and heights; false on a broken tree. */
bool vtree_check(const struct vtree *t, unsigned long *nr_nodes);

#endif
