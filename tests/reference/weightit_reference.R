# Hand-computed WeightIt-formula reference values for tests/design/test_reference_weightit.py.
# WeightIt and cobalt are not packaged for Debian here, so the weights are computed with
# their published formulas (WeightIt get_w_from_ps, trim(); cobalt col_w_smd, ESS) on
# propensity scores from R's glm.
#
# Run from the repository root:  Rscript tests/reference/weightit_reference.R
suppressPackageStartupMessages(library(jsonlite))
out <- "tests/reference"
set.seed(7)
n <- 600
d <- data.frame(
  family_id = 1000 + seq_len(n),
  x1 = rnorm(n),
  x2 = rpois(n, 2),
  x3 = rbinom(n, 1, 0.5),
  stratum = sample(c("order", "voluntary"), n, replace = TRUE)
)
d$treat <- rbinom(n, 1, plogis(-0.3 + 0.8 * d$x1 - 0.2 * d$x2 + 0.5 * d$x3))
# monotone dropout at two follow-up waves
p1 <- plogis(1.2 - 0.5 * d$x1 + 0.3 * d$x3)
d$obs1 <- rbinom(n, 1, p1)
p2 <- plogis(1.0 + 0.4 * d$x1 - 0.2 * d$x2)
d$obs2 <- ifelse(d$obs1 == 1, rbinom(n, 1, p2), 0)
write.csv(d, file.path(out, "weightit_data.csv"), row.names = FALSE)

fit <- glm(treat ~ x1 + x2 + x3, data = d, family = binomial)
e <- fitted(fit)
t <- d$treat
w <- data.frame(
  family_id = d$family_id,
  ps = e,
  ATE = ifelse(t == 1, 1 / e, 1 / (1 - e)),
  ATT = ifelse(t == 1, 1, e / (1 - e)),
  ATC = ifelse(t == 1, (1 - e) / e, 1),
  ATO = ifelse(t == 1, 1 - e, e),
  ATM = pmin(e, 1 - e) / ifelse(t == 1, e, 1 - e)
)
w$ATE_stabilized <- w$ATE * ifelse(t == 1, mean(t), 1 - mean(t))
# WeightIt trim(at = .9) for the ATT: only control weights, at their 90% quantile
cap <- quantile(w$ATT[t == 0], 0.9)
w$ATT_truncated <- ifelse(t == 0, pmin(w$ATT, cap), w$ATT)
cap_ate <- quantile(w$ATE, 0.95)
w$ATE_truncated <- pmin(w$ATE, cap_ate)
# within strata (separate glm per stratum), ATE
w$ATE_by <- NA_real_
for (s in unique(d$stratum)) {
  i <- d$stratum == s
  es <- fitted(glm(treat ~ x1 + x2 + x3, data = d[i, ], family = binomial))
  w$ATE_by[i] <- ifelse(t[i] == 1, 1 / es, 1 / (1 - es))
}
# attrition weights, monotone, stabilised: prod over waves of mean(retained) / p_hat
r1 <- glm(obs1 ~ x1 + x2 + x3, data = d, family = binomial)
a1 <- ifelse(d$obs1 == 1, mean(d$obs1) / fitted(r1), 0)
risk <- d$obs1 == 1
r2 <- glm(obs2 ~ x1 + x2 + x3, data = d[risk, ], family = binomial)
q2 <- rep(NA_real_, n); q2[risk] <- fitted(r2)
a2 <- ifelse(d$obs2 == 1, a1 * mean(d$obs2[risk]) / q2, 0)
w$attr1 <- a1
w$attr2 <- a2
write.csv(w, file.path(out, "weightit_weights.csv"), row.names = FALSE)

# cobalt-style balance for the ATE weights: SMD with the pooled SD of the unweighted sample
# (sqrt((s1^2 + s0^2)/2); binary p(1-p)), weighted means; ESS = sum(w)^2 / sum(w^2).
wm <- function(x, w) sum(w * x) / sum(w)
X <- as.matrix(d[, c("x1", "x2", "x3")])
sdp <- apply(X, 2, function(x) {
  if (all(x %in% 0:1)) sqrt((mean(x[t == 1]) * (1 - mean(x[t == 1])) +
                            mean(x[t == 0]) * (1 - mean(x[t == 0]))) / 2)
  else sqrt((var(x[t == 1]) + var(x[t == 0])) / 2)
})
smd <- sapply(1:3, function(j) (wm(X[t == 1, j], w$ATE[t == 1]) - wm(X[t == 0, j], w$ATE[t == 0])) / sdp[j])
ess <- c(treated = sum(w$ATE[t == 1])^2 / sum(w$ATE[t == 1]^2),
         control = sum(w$ATE[t == 0])^2 / sum(w$ATE[t == 0]^2))
write_json(list(smd_ate = setNames(as.list(smd), colnames(X)), ess_ate = as.list(ess)),
           file.path(out, "weightit_balance.json"), digits = NA, auto_unbox = TRUE)
