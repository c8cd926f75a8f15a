"""examples/autograd_tour.py prints, line for line, what PyTorch prints for the same code."""

import importlib.util
import pathlib

import pytest

import tracegrad.dynamic as tg

TOUR = pathlib.Path(__file__).parents[2] / "examples" / "autograd_tour.py"


def load_tour():
    spec = importlib.util.spec_from_file_location("autograd_tour", TOUR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lines(tour, m):
    out: list[str] = []
    tour.tour(m, out.append)
    return "\n".join(out).replace("torch.", "tg.").splitlines()


def test_tour_runs_and_shows_the_issue_example():
    out = lines(load_tour(), tg)
    assert "tensor([ 5., 10., 15., 20.])" in out
    assert any(line.startswith("RuntimeError: Can't call numpy()") for line in out)


def test_tour_prints_what_pytorch_prints():
    torch = pytest.importorskip("torch")
    tour = load_tour()
    ours, theirs = lines(tour, tg), lines(tour, torch)
    assert len(ours) == len(theirs) > 100
    assert [(a, b) for a, b in zip(ours, theirs) if a != b] == []
