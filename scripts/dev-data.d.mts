/** The MNIST folder the project's own tools use when not told: $CONVNOTES_DATA, ../shared/datasets/mnist, the user cache. */
export function devDataDir(): string;
