# Reference values for kbeffect's bootstrap intervals (tests/inference/test_boot_intervals.py).
# A clustered ratio estimator (mean outcome per child, families resampled) is bootstrapped with
# boot::boot; the replicates, the jackknife influence values and boot.ci's percentile, basic,
# normal, BCa and studentised intervals are written to boot_ci.json.
# Run from the repository root: Rscript tests/reference/boot_ci.R
library(boot)
library(jsonlite)
set.seed(20261122)
G <- 60
n_child <- sample(1:2, G, replace = TRUE)
u <- rnorm(G, sd = 1)
y_sum <- sapply(seq_len(G), function(g) sum(2 + u[g] + rexp(n_child[g])))
fam <- data.frame(family_id = seq_len(G), y_sum = y_sum, n = n_child)
# statistic: ratio sum(y) / sum(n) and its delta-method variance (for the studentised CI)
ratio <- function(d, w) {
  r <- sum(w * d$y_sum) / sum(w * d$n)
  res <- d$y_sum - r * d$n
  v <- sum(w * res^2) / sum(w * d$n)^2
  c(r, v)
}
stat <- function(d, i) ratio(d, tabulate(i, nbins = nrow(d)))
b <- boot(fam, stat, R = 1999)
L <- empinf(b, type = "jack", index = 1)
out <- list(
  data = fam,
  t0 = unname(b$t0),
  t = unname(b$t),
  L = unname(L),
  ci = list()
)
for (conf in c(0.9, 0.95)) {
  # var.t0 would also enter the normal interval: give it to the studentised call only
  ci <- boot.ci(b, conf = conf, type = c("perc", "basic", "norm", "bca"), L = L, index = 1)
  st <- boot.ci(b, conf = conf, type = "stud", var.t0 = b$t0[2], index = c(1, 2))
  key <- sprintf("%.2f", conf)
  out$ci[[key]] <- list(
    percentile = unname(ci$percent[1, 4:5]),
    basic = unname(ci$basic[1, 4:5]),
    normal = unname(ci$normal[1, 2:3]),
    bca = unname(ci$bca[1, 4:5]),
    studentized = unname(st$student[1, 4:5])
  )
}
write_json(out, "tests/reference/boot_ci.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
