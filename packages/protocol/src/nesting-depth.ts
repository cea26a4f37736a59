/**
 * How deeply objects and arrays nest in `value` (a scalar is 0, `{}` is 1, `{"a":[1]}` is 2),
 * counted without recursion and stopping as soon as `max` is exceeded: a hostile value nested
 * thousands of levels deep must be refused before anything recursive (JSON.stringify) sees it.
 *
 * @example
 * nestingDepth({ a: [1] }, 64); // 2
 */
export function nestingDepth(value: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > max) return deepest;
    for (const child of Object.values(node)) stack.push([child, level]);
  }
  return deepest;
}
