/* SUNDIALS CVODE on the stiff benchmark problems, timed for bench/ode.sh.
 *
 *   cvode_ode PROBLEM RTOL ATOL [MIN_SECONDS [MIN_REPEATS]]
 *
 * PROBLEM is robertson (to t = 1e11) or hires (to t = 321.8122), as in the
 * Test Set for IVP Solvers (Bari). CVODE's BDF (orders 1-5, Newton iteration)
 * with the dense direct linear solver and the analytic Jacobian. Each solve
 * builds and frees its own integrator, as a caller solving one problem would.
 * One warm-up solve, then solves until MIN_SECONDS (default 0.5) have passed
 * and at least MIN_REPEATS (default 5) were made; prints the median wall time
 * of one solve as one JSON line, in the format of bench/peers/ode_scipy.py
 * (max_rel_err is left to bench/report_ode.py, which computes it from y_end
 * for every solver alike). MIN_SECONDS = 0 makes a single solve, no warm-up.
 *
 * Build: make -C bench/peers (Debian: apt-get install libsundials-dev). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_config.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#define IJ(A, i, j) SM_ELEMENT_D(A, i, j)

/* Robertson (rober.f): y1' = -0.04 y1 + 1e4 y2 y3, y3' = 3e7 y2^2, y2' = -y1' - y3'. */
static int rober(sunrealtype t, N_Vector y, N_Vector yd, void *ud) {
  sunrealtype *Y = N_VGetArrayPointer(y), *D = N_VGetArrayPointer(yd);
  (void)t; (void)ud;
  D[0] = -0.04 * Y[0] + 1e4 * Y[1] * Y[2];
  D[1] = 0.04 * Y[0] - 1e4 * Y[1] * Y[2] - 3e7 * Y[1] * Y[1];
  D[2] = 3e7 * Y[1] * Y[1];
  return 0;
}

static int rober_jac(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud,
                     N_Vector t1, N_Vector t2, N_Vector t3) {
  sunrealtype *Y = N_VGetArrayPointer(y);
  (void)t; (void)fy; (void)ud; (void)t1; (void)t2; (void)t3;
  IJ(J, 0, 0) = -0.04; IJ(J, 0, 1) = 1e4 * Y[2];              IJ(J, 0, 2) = 1e4 * Y[1];
  IJ(J, 1, 0) = 0.04;  IJ(J, 1, 1) = -1e4 * Y[2] - 6e7 * Y[1]; IJ(J, 1, 2) = -1e4 * Y[1];
  IJ(J, 2, 0) = 0.0;   IJ(J, 2, 1) = 6e7 * Y[1];               IJ(J, 2, 2) = 0.0;
  return 0;
}

/* HIRES (hires.f), coefficient for coefficient. */
static int hires(sunrealtype t, N_Vector yv, N_Vector ydv, void *ud) {
  sunrealtype *y = N_VGetArrayPointer(yv), *f = N_VGetArrayPointer(ydv);
  (void)t; (void)ud;
  f[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
  f[1] = 1.71 * y[0] - 8.75 * y[1];
  f[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
  f[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
  f[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
  f[5] = -280 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
  f[6] = 280 * y[5] * y[7] - 1.81 * y[6];
  f[7] = -f[6];
  return 0;
}

static int hires_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *ud,
                     N_Vector t1, N_Vector t2, N_Vector t3) {
  sunrealtype *y = N_VGetArrayPointer(yv);
  (void)t; (void)fy; (void)ud; (void)t1; (void)t2; (void)t3;
  SUNMatZero(J);
  IJ(J, 0, 0) = -1.71; IJ(J, 0, 1) = 0.43; IJ(J, 0, 2) = 8.32;
  IJ(J, 1, 0) = 1.71;  IJ(J, 1, 1) = -8.75;
  IJ(J, 2, 2) = -10.03; IJ(J, 2, 3) = 0.43; IJ(J, 2, 4) = 0.035;
  IJ(J, 3, 1) = 8.32;  IJ(J, 3, 2) = 1.71; IJ(J, 3, 3) = -1.12;
  IJ(J, 4, 4) = -1.745; IJ(J, 4, 5) = 0.43; IJ(J, 4, 6) = 0.43;
  IJ(J, 5, 3) = 0.69;  IJ(J, 5, 4) = 1.71; IJ(J, 5, 5) = -280 * y[7] - 0.43;
  IJ(J, 5, 6) = 0.69;  IJ(J, 5, 7) = -280 * y[5];
  IJ(J, 6, 5) = 280 * y[7];  IJ(J, 6, 6) = -1.81; IJ(J, 6, 7) = 280 * y[5];
  IJ(J, 7, 5) = -280 * y[7]; IJ(J, 7, 6) = 1.81;  IJ(J, 7, 7) = -280 * y[5];
  return 0;
}

struct problem {
  const char *name;
  int n;
  double t_end;
  double y0[8];
  CVRhsFn f;
  CVLsJacFn jac;
};

static const struct problem PROBLEMS[] = {
  {"robertson", 3, 1e11, {1.0, 0.0, 0.0}, rober, rober_jac},
  {"hires", 8, 321.8122, {1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057}, hires, hires_jac},
};

struct stats {
  int flag;
  long nst, nfe, nje, nsetups, netf, nni, ncfn;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The shortest %g form that reads back as the same double. */
static const char *num(double x, char *buf) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, 32, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  return buf;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One solve from scratch; y receives the solution at t_end. */
static void solve(const struct problem *p, double rtol, double atol, SUNContext ctx, N_Vector y,
                  struct stats *st) {
  sunrealtype *Y = N_VGetArrayPointer(y);
  for (int i = 0; i < p->n; i++) Y[i] = p->y0[i];
  void *mem = CVodeCreate(CV_BDF, ctx);
  SUNMatrix A = SUNDenseMatrix(p->n, p->n, ctx);
  SUNLinearSolver LS = SUNLinSol_Dense(y, A, ctx);
  int flag = CVodeInit(mem, p->f, 0.0, y);
  if (flag == CV_SUCCESS) flag = CVodeSStolerances(mem, rtol, atol);
  if (flag == CV_SUCCESS) flag = CVodeSetLinearSolver(mem, LS, A);
  if (flag == CV_SUCCESS) flag = CVodeSetJacFn(mem, p->jac);
  if (flag == CV_SUCCESS) flag = CVodeSetMaxNumSteps(mem, 1000000);
  sunrealtype tret = 0.0;
  if (flag == CV_SUCCESS) flag = CVode(mem, p->t_end, y, &tret, CV_NORMAL);
  st->flag = flag;
  CVodeGetNumSteps(mem, &st->nst);
  CVodeGetNumRhsEvals(mem, &st->nfe);
  CVodeGetNumJacEvals(mem, &st->nje);
  CVodeGetNumLinSolvSetups(mem, &st->nsetups);
  CVodeGetNumErrTestFails(mem, &st->netf);
  CVodeGetNumNonlinSolvIters(mem, &st->nni);
  CVodeGetNumNonlinSolvConvFails(mem, &st->ncfn);
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  SUNMatDestroy(A);
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: %s robertson|hires RTOL ATOL [MIN_SECONDS [MIN_REPEATS]]\n", argv[0]);
    return 2;
  }
  const struct problem *p = NULL;
  for (size_t i = 0; i < sizeof PROBLEMS / sizeof PROBLEMS[0]; i++)
    if (strcmp(argv[1], PROBLEMS[i].name) == 0) p = &PROBLEMS[i];
  if (!p) {
    fprintf(stderr, "error: unknown problem '%s' (robertson or hires)\n", argv[1]);
    return 2;
  }
  double rtol = atof(argv[2]), atol = atof(argv[3]);
  double min_seconds = argc > 4 ? atof(argv[4]) : 0.5;
  int min_repeats = argc > 5 ? atoi(argv[5]) : 5;
  if (!(rtol > 0) || !(atol > 0) || min_seconds < 0) {
    fprintf(stderr, "error: RTOL and ATOL must be positive, MIN_SECONDS not negative\n");
    return 2;
  }
  SUNContext ctx;
  if (SUNContext_Create(NULL, &ctx) != 0) return 1;
  N_Vector y = N_VNew_Serial(p->n, ctx);
  struct stats st;
  size_t cap = 1024, count = 0;
  double *times = malloc(cap * sizeof *times), spent = 0.0;
  if (min_seconds == 0) {
    min_repeats = 1;
  } else {
    solve(p, rtol, atol, ctx, y, &st); /* warm-up */
  }
  while ((int)count < min_repeats || spent < min_seconds) {
    double t0 = now();
    solve(p, rtol, atol, ctx, y, &st);
    double dt = now() - t0;
    if (count == cap) times = realloc(times, (cap *= 2) * sizeof *times);
    times[count++] = dt;
    spent += dt;
    if (st.flag < 0) break;
  }
  qsort(times, count, sizeof *times, cmp);
  double median = count % 2 ? times[count / 2] : 0.5 * (times[count / 2 - 1] + times[count / 2]);
  sunrealtype *Y = N_VGetArrayPointer(y);
  char b1[32], b2[32], b3[32];
  printf("{\"problem\": \"%s\", \"solver\": \"CVODE-BDF\", \"rtol\": %s, \"atol\": %s, "
         "\"seconds\": %.9g, \"repeats\": %zu, \"y_end\": [",
         p->name, num(rtol, b1), num(atol, b2), median, count);
  for (int i = 0; i < p->n; i++) printf("%s%s", num(Y[i], b1), i < p->n - 1 ? ", " : "");
  printf("], \"steps\": %ld, \"t_end\": %s, \"success\": %s, \"flag\": %d, \"nfev\": %ld, "
         "\"njev\": %ld, \"nlu\": %ld, \"netf\": %ld, \"nni\": %ld, \"ncfn\": %ld, "
         "\"min_seconds\": %.9g, \"peer\": \"SUNDIALS CVODE %s (BDF, dense direct, analytic Jacobian)\"}\n",
         st.nst, num(p->t_end, b3), st.flag >= 0 ? "true" : "false", st.flag, st.nfe, st.nje, st.nsetups,
         st.netf, st.nni, st.ncfn, times[0], SUNDIALS_VERSION);
  free(times);
  N_VDestroy(y);
  SUNContext_Free(&ctx);
  return st.flag >= 0 ? 0 : 1;
}
