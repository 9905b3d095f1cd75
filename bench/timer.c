/* timer: runs a command, prints "<wall seconds> <peak RSS KiB> <exit code> <CPU seconds>" to
 * the file named by its first argument (CPU: user + system of the whole process tree).
 *
 *   timer RESULT_FILE COMMAND [ARG...]
 *
 * Why not Python's subprocess: a child forked (or vforked) from Python starts with Python's
 * resident set as its high-water mark, and the kernel keeps that mark across exec, so every
 * tool would show at least ~17 MB. Forked from this small program, the mark starts near 1 MB
 * and wait4's ru_maxrss is the tool's own (its children are included: the largest process of
 * the tree). The clock runs from just before fork to wait4's return. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: timer RESULT_FILE COMMAND [ARG...]\n");
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    perror("timer: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror("timer: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("timer: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* f = fopen(argv[1], "w");
  if (!f) {
    perror("timer: result file");
    return 2;
  }
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  fprintf(f, "%.6f %ld %d %.6f\n", secs, ru.ru_maxrss, code, cpu);
  fclose(f);
  return code;
}
