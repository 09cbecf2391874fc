# Reference values from MatchIt 4.5.1 (R 4.2) for tests/design/test_reference_matchit.py.
#
# Run from the repository root:  Rscript tests/reference/matchit_reference.R
# Writes tests/reference/matchit_*.csv / .json. MatchIt's *nearest-neighbour matched sets*
# are NOT stored as expected values (4.5.1 is unreliable there, see
# shared/design/reference-tools.md); its glm propensity scores, subclassification, CEM,
# the weights it derives from a match matrix, and its balance statistics are.
suppressPackageStartupMessages({library(MatchIt); library(jsonlite)})
out <- "tests/reference"
set.seed(20240601)
n <- 400
edu <- factor(sample(c("primary", "secondary", "higher"), n, replace = TRUE, prob = c(.3, .45, .25)),
              levels = c("higher", "primary", "secondary"))
d <- data.frame(
  id = seq_len(n),
  x1 = rnorm(n),
  x2 = rgamma(n, 2, 1),
  x3 = rbinom(n, 1, 0.4),
  edu = edu
)
lp <- -0.9 + 0.7 * d$x1 - 0.3 * d$x2 + 0.6 * d$x3 + 0.5 * (d$edu == "primary")
d$treat <- rbinom(n, 1, plogis(lp))
write.csv(d, file.path(out, "matchit_data.csv"), row.names = FALSE)
f <- treat ~ x1 + x2 + x3 + edu

# propensity scores: logit, probit, linear logit
m_logit <- matchit(f, data = d, method = NULL, distance = "glm")
m_probit <- matchit(f, data = d, method = NULL, distance = "glm", link = "probit")
m_lin <- matchit(f, data = d, method = NULL, distance = "glm", link = "linear.logit")
ps <- data.frame(id = d$id, logit = m_logit$distance, probit = m_probit$distance,
                 linear_logit = m_lin$distance)
write.csv(ps, file.path(out, "matchit_ps.csv"), row.names = FALSE)
coefs <- list(logit = coef(m_logit$model), probit = coef(m_probit$model))
write_json(lapply(coefs, as.list), file.path(out, "matchit_coef.json"), digits = NA, auto_unbox = TRUE)

bal_table <- function(tab) {
  tab <- as.data.frame(tab)
  data.frame(term = rownames(tab), mean_treated = tab[["Means Treated"]],
             mean_control = tab[["Means Control"]], smd = tab[["Std. Mean Diff."]],
             var_ratio = tab[["Var. Ratio"]], ecdf_mean = tab[["eCDF Mean"]],
             ecdf_max = tab[["eCDF Max"]])
}
# unadjusted balance (ATT: treated SD) and ATE (pooled SD)
s_att <- summary(m_logit)
write.csv(bal_table(s_att$sum.all), file.path(out, "matchit_balance_all_att.csv"), row.names = FALSE)
m_ate <- matchit(f, data = d, method = NULL, distance = "glm", estimand = "ATE")
write.csv(bal_table(summary(m_ate)$sum.all), file.path(out, "matchit_balance_all_ate.csv"),
          row.names = FALSE)

# subclassification (ATT and ATE)
for (est in c("ATT", "ATE")) {
  m <- matchit(f, data = d, method = "subclass", subclass = 5, estimand = est)
  write.csv(data.frame(id = d$id, subclass = as.integer(m$subclass), weights = m$weights),
            file.path(out, sprintf("matchit_subclass_%s.csv", tolower(est))), row.names = FALSE)
  s <- summary(m)
  write.csv(bal_table(s$sum.across), file.path(out, sprintf("matchit_subclass_%s_balance.csv",
            tolower(est))), row.names = FALSE)
}

# coarsened exact matching with default (Sturges) bins
m_cem <- matchit(f, data = d, method = "cem")
write.csv(data.frame(id = d$id, subclass = as.integer(m_cem$subclass), weights = m_cem$weights),
          file.path(out, "matchit_cem.csv"), row.names = FALSE)
write.csv(bal_table(summary(m_cem)$sum.matched), file.path(out, "matchit_cem_balance.csv"),
          row.names = FALSE)

# weights from a match matrix (2:1 with replacement): only the weighting rule is tested,
# applied to MatchIt's own match matrix, plus balance statistics under those weights.
m_nn <- matchit(f, data = d, method = "nearest", ratio = 2, replace = TRUE)
mm <- m_nn$match.matrix
mm_idx <- matrix(match(mm, rownames(d)), nrow = nrow(mm))
write.csv(data.frame(focal = as.integer(rownames(mm)), c1 = mm_idx[, 1], c2 = mm_idx[, 2]),
          file.path(out, "matchit_nn_replace_mm.csv"), row.names = FALSE)
write.csv(data.frame(id = d$id, weights = m_nn$weights),
          file.path(out, "matchit_nn_replace_weights.csv"), row.names = FALSE)
write.csv(bal_table(summary(m_nn)$sum.matched), file.path(out, "matchit_nn_replace_balance.csv"),
          row.names = FALSE)

# Mahalanobis distances (scaled covariates, pooled within-group covariance)
D <- mahalanobis_dist(treat ~ x1 + x2 + x3, data = d)
write.csv(D[1:20, 1:30], file.path(out, "matchit_mahalanobis_block.csv"))
