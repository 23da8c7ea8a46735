"""AMICI (SUNDIALS CVODES, forward sensitivities) on a PEtab problem, for bench/petab.sh.
Prints JSON lines on stdout.

  python petab_amici.py evaluate PROBLEM.yaml --name NAME --models DIR [--rtol R --atol A]
                        [--repeats 20] [--reuse]
  python petab_amici.py multistart PROBLEM.yaml --name NAME --models DIR [--rtol R --atol A]
                        [--starts 20] [--seed 1] [--history FILE]

evaluate times, on one thread:
  - kind "import": from this script's start (before `import amici`) to the compiled model
    loaded (amici's PEtab v1 import: read the tables and the SBML model, generate C++ and
    compile it into DIR/NAME), and to the first llh and gradient at the nominal parameters;
    with --reuse, the model compiled by an earlier run is loaded and that run's times reported;
  - kinds "simulation" (no sensitivities) and "gradient" (llh and its gradient by forward
    sensitivities): the median of --repeats calls after a warm-up, each at the nominal
    parameters, two ways: `simulate_petab` with the ExpData objects and the parameter mapping
    made once (solver "amici-simulate_petab": filling in the parameters, the simulations, the
    llh and its gradient summed on the PEtab parameters), and `run_simulations` alone on the
    filled ExpData objects (solver "amici-run_simulations": the C++ core).
multistart runs pyPESTO's default fides optimiser on pyPESTO's AMICI objective (same
tolerances, one thread, pyPESTO's defaults otherwise: starts uniform in the bounds on the
parameter scale) and prints one line with the wall time of `optimize.minimize` and every
start's llh (pyPESTO's fval is −llh).
"""

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

# The results go to the original stdout; everything else written to file descriptor 1 (the
# cmake and compiler output of AMICI's model build, in subprocesses) goes to stderr.
RESULTS = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)


def emit(line):
    RESULTS.write(json.dumps(line) + "\n")
    RESULTS.flush()


def median_time(call, repeats):
    call()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def configure(solver, args, sensitivities):
    from amici.sim.sundials import SensitivityMethod, SensitivityOrder

    solver.set_relative_tolerance(args.rtol)
    solver.set_absolute_tolerance(args.atol)
    if sensitivities:
        solver.set_sensitivity_method(SensitivityMethod.forward)
        solver.set_sensitivity_order(SensitivityOrder.first)
    else:
        solver.set_sensitivity_order(SensitivityOrder.none)


def evaluate(args):
    import amici
    import petab.v1 as petab
    from amici.importers.petab.v1 import import_petab_problem
    from amici.sim.sundials import run_simulations
    from amici.sim.sundials.petab.v1 import (
        EDATAS,
        LLH,
        SLLH,
        create_edatas,
        fill_in_parameters,
        simulate_petab,
    )
    from amici.sim.sundials.petab.v1._parameter_mapping import create_parameter_mapping

    out = os.path.join(args.models, args.name)
    stamp = os.path.join(args.models, f"{args.name}.import.json")
    problem = petab.Problem.from_yaml(args.problem)
    if args.reuse and os.path.exists(stamp):
        model = import_petab_problem(problem, out, model_name=args.name, compile_=False)
        previous = json.load(open(stamp))
        reused = True
    else:
        model = import_petab_problem(problem, out, model_name=args.name, compile_=True)
        reused = False
    import_s = time.perf_counter() - T0

    mapping = create_parameter_mapping(
        petab_problem=problem,
        simulation_conditions=problem.get_simulation_conditions_from_measurement_df(),
        scaled_parameters=True,
        amici_model=model,
    )
    edatas = create_edatas(amici_model=model, petab_problem=problem)

    def petab_call(solver):
        return simulate_petab(problem, amici_model=model, solver=solver, edatas=edatas,
                              parameter_mapping=mapping, scaled_parameters=True)

    lines = {}
    for kind, sensitivities in (("gradient", True), ("simulation", False)):
        solver = model.create_solver()
        configure(solver, args, sensitivities)
        result = petab_call(solver)
        if kind == "gradient" and not reused:
            first_s = time.perf_counter() - T0
        llh = result[LLH]
        rdatas = result["rdatas"]
        status = sorted({int(r.status) for r in rdatas})
        gradient = {k: float(v) for k, v in (result[SLLH] or {}).items()}
        seconds, fastest = median_time(lambda: petab_call(solver), args.repeats)
        # The filled ExpData objects alone (the parameters set by the call above).
        edatas_now = result[EDATAS]
        core_s, core_min = median_time(lambda: run_simulations(model, solver, edatas_now), args.repeats)
        core_llh = sum(r.llh for r in run_simulations(model, solver, edatas_now))
        common = dict(kind=kind, problem=args.name, rtol=args.rtol, atol=args.atol, repeats=args.repeats,
                      status=status, version=amici.__version__)
        lines[kind] = [
            dict(common, solver="amici-simulate_petab", seconds=seconds, min_seconds=fastest, llh=float(llh),
                 gradient=gradient if sensitivities else None),
            dict(common, solver="amici-run_simulations", seconds=core_s, min_seconds=core_min,
                 llh=float(core_llh)),
        ]
    if reused:
        first = dict(previous, reused=True)
    else:
        first = dict(kind="import", problem=args.name, solver="amici", import_seconds=import_s,
                     first_gradient_seconds=first_s, reused=False, version=amici.__version__,
                     date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        with open(stamp, "w") as f:
            json.dump(first, f)
    for line in [first, *lines["simulation"], *lines["gradient"]]:
        emit(line)


def multistart(args):
    import amici
    import fides
    import petab.v1 as petab
    import pypesto
    import pypesto.optimize as optimize
    import pypesto.petab

    problem = petab.Problem.from_yaml(args.problem)
    importer = pypesto.petab.PetabImporter(problem, output_folder=os.path.join(args.models, args.name),
                                           model_name=args.name)
    pproblem = importer.create_problem()
    objective = pproblem.objective
    configure(objective.amici_solver, args, True)
    np.random.seed(args.seed)
    optimizer = optimize.FidesOptimizer()
    start = time.perf_counter()
    result = optimize.minimize(pproblem, optimizer=optimizer, n_starts=args.starts,
                               engine=pypesto.engine.SingleCoreEngine(), progress_bar=False)
    wall = time.perf_counter() - start
    starts = [dict(llh=-float(r.fval), n_fval=int(r.n_fval or 0), n_grad=int(r.n_grad or 0),
                   seconds=float(r.time), exitflag=r.exitflag) for r in result.optimize_result.list]
    if args.history:
        with open(args.history, "w") as f:
            json.dump(starts, f, indent=1)
    emit(dict(kind="multistart", problem=args.name, solver="pypesto-fides-amici", rtol=args.rtol,
              atol=args.atol, starts=args.starts, seed=args.seed, seconds=wall,
              llh=sorted((s["llh"] for s in starts), reverse=True),
              versions=dict(amici=amici.__version__, pypesto=pypesto.__version__, fides=fides.__version__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["evaluate", "multistart"])
    ap.add_argument("problem", help="the PEtab problem's YAML file")
    ap.add_argument("--name", required=True, help="problem name (and the compiled model's)")
    ap.add_argument("--models", required=True, help="folder of the compiled models")
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="load the model an earlier run compiled")
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--history", help="write every start's result here (JSON)")
    args = ap.parse_args()
    (evaluate if args.mode == "evaluate" else multistart)(args)


if __name__ == "__main__":
    main()
