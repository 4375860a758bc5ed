import { topoOrder } from '../../src/dag/order';
import { type GraphNode, taskGraph, toDot } from '../../src/dag/render';
import { describeTask } from '../../src/core/task';

const node = (id: string, deps: string[] = [], params: GraphNode['params'] = {}): GraphNode => ({ id, task: id.toUpperCase(), params, deps });

describe('graph order and rendering', () => {
  it('orders requirements first, the smallest ready id first, whatever the input order', () => {
    const nodes = [node('root', ['m', 'b']), node('m', ['z', 'a']), node('b', ['a']), node('z'), node('a')];
    const want = ['a', 'b', 'z', 'm', 'root'];
    expect(topoOrder(nodes)).toEqual(want);
    expect(topoOrder([...nodes].reverse())).toEqual(want);
    expect(topoOrder([node('x', ['y']), node('y', ['x']), node('a', ['gone'])])).toEqual(['a', 'x', 'y']);
  });

  it('lists edges breadth-first from the roots, each node its deps in order', () => {
    const g = taskGraph(['root'], [node('a'), node('z'), node('b', ['a']), node('m', ['z', 'a']), node('root', ['m', 'b']), node('loose', ['a'])]);
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b', 'loose', 'z', 'm', 'root']);
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['m>root', 'b>root', 'z>m', 'a>m', 'a>b', 'a>loose']);
  });

  it('writes DOT with the task string as tooltip, quotes escaped', () => {
    const params = { b: 'say "hi"', a: 2, c: [1, 'x'] };
    expect(describeTask('T', params)).toBe('T(b=say "hi", a=2, c=[1,"x"])');
    const dot = toDot(taskGraph(['t/c/T/0123456789abcdef'], [{ id: 't/c/T/0123456789abcdef', task: 'T', params, deps: [] }]));
    expect(dot).toContain('"t/c/T/0123456789abcdef" [label="T\\n01234567", tooltip="T(b=say \\"hi\\", a=2, c=[1,\\"x\\"])"];');
    expect(dot.endsWith('}\n')).toBe(true);
  });
});
