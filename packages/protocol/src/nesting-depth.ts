/**
 * How deeply objects and arrays nest in `value` (a scalar is 0, `{}` is 1, `{"a":[1]}` is 2),
 * counted without recursion and stopping as soon as `max` is exceeded: a hostile value nested
 * thousands of levels deep must be refused before anything recursive (JSON.stringify) sees it.
 *
 * @example
 * nestingDepth({ a: [1] }, 64); // 2
 */
export function nestingDepth(value: unknown, max: number): number {
  if (!isContainer(value)) return 0;
  let deepest = 0;
  // Two parallel stacks, and only containers pushed: scalars, most of any event, cost nothing.
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > deepest) deepest = depth;
    if (deepest > max) return deepest;
    for (const child of Object.values(node)) {
      if (isContainer(child)) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return deepest;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
