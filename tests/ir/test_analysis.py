"""`to_networkx`, `users` and `producers`."""

import networkx as nx
import numpy as np

import tracegrad as tg
from tracegrad.ir.analysis import producers, to_networkx, users


def shared_sin(x, y):
    a = np.sin(x)
    return a * y, a + a


def args(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=3), rng.normal(size=3)


def test_networkx_counts_and_kinds():
    g = tg.make_ir(shared_sin)(*args())
    G = g.to_networkx()
    assert isinstance(G, nx.MultiDiGraph)
    kinds = {k: d["kind"] for k, d in G.nodes(data=True)}
    assert kinds == {"in0": "input", "in1": "input", "n0": "node", "n1": "node", "n2": "node",
                     "out0": "output", "out1": "output"}
    # in0->sin, sin->mul, in1->mul, sin->add twice (parallel edges), mul->out0, add->out1
    assert G.number_of_edges() == 7
    out_of_sin = sorted((v, d["pos"]) for _, v, d in G.out_edges("n0", data=True))
    assert out_of_sin == [("n1", 0), ("n2", 0), ("n2", 1)]
    assert nx.is_directed_acyclic_graph(G)


def test_networkx_node_attributes_match_the_dump():
    g = tg.make_ir(lambda x: np.sum(x * 2.0, axis=0))(np.ones((2, 3)))
    G = to_networkx(g)
    lines = str(g).splitlines()[1:-2]
    assert [G.nodes[f"n{i}"]["label"] for i in range(len(g.nodes))] == [s.strip() for s in lines]
    red = G.nodes[f"n{len(g.nodes) - 1}"]
    assert red["op"] == "reduce_sum" and red["params"]["axes"] == (0,)
    assert [str(t) for t in red["types"]] == ["f64[3]"]
    assert red["node"] is g.nodes[-1]
    # topological order of the networkx graph agrees with the graph's node order
    order = [k for k in nx.topological_sort(G) if G.nodes[k]["kind"] == "node"]
    assert order == [f"n{i}" for i in range(len(g.nodes))]


def test_networkx_constants_and_passthrough_outputs():
    c = np.arange(3.0)
    g = tg.make_ir(lambda x: (x * c, x, np.float32(2.0)))(np.ones(3))
    G = to_networkx(g)
    consts = [k for k, d in G.nodes(data=True) if d["kind"] == "const"]
    assert len(consts) == 2  # the array operand and the literal result
    assert list(G.successors("in0")) == ["n0", "out1"]
    (edge,) = [d for _, v, d in G.out_edges(consts[0], data=True)]
    assert edge["pos"] == 1 and G.nodes[consts[0]]["label"] == "constf64[3][0.0, 1.0, 2.0]"
    assert list(G.predecessors("out2")) == [consts[1]]
    assert G.number_of_nodes() == 1 + 1 + 2 + 3 and G.number_of_edges() == 2 + 3


def test_users_and_producers():
    g = tg.make_ir(shared_sin)(*args())
    x, y = g.inputs
    sin, mul, add = g.nodes
    u = users(g)
    assert u[x] == [sin] and u[y] == [mul]
    assert u[sin.out] == [mul, add]  # add reads it twice but is listed once
    assert u[mul.out] == [] and u[add.out] == []
    p = producers(g)
    assert p[sin.out] is sin and p[add.out] is add and x not in p
    assert set(p) == {n.out for n in g.nodes}
