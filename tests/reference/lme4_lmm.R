# Reference values for kbeffect's linear mixed model (tests/models/test_lmm_reference.py).
# Run from the repository root:  Rscript tests/reference/lme4_lmm.R
# Writes tests/reference/lme4_lmm_data.csv (simulated unbalanced three-wave cohort) and
# tests/reference/lme4_lmm_reference.json (lme4 fits, lmerTest Satterthwaite df, and the
# family-level CR1 sandwich computed from lme4's V matrix).
suppressPackageStartupMessages({
  library(lme4); library(lmerTest); library(jsonlite); library(Matrix)
})
set.seed(20261122)
n_fam <- 300
rows <- list()
for (f in seq_len(n_fam)) {
  kb <- rbinom(1, 1, 0.4)
  u_f <- rnorm(1, 0, 1.0); s_f <- rnorm(1, 0, 0.4)
  n_ch <- sample(1:2, 1)
  for (c in seq_len(n_ch)) {
    u_c <- rnorm(1, 0, 0.7); age <- round(runif(1, 3, 18), 1)
    for (w in 0:2) {
      if (w > 0 && runif(1) < 0.2) next
      y <- 10 + 0.5 * kb - 0.8 * w - 0.4 * kb * w + 0.1 * age + u_f + s_f * w + u_c + rnorm(1, 0, 1.2)
      rows[[length(rows) + 1]] <- data.frame(family_id = f, child_id = f * 10 + c, wave = w,
                                            kb = kb, age = age, y = round(y, 6))
    }
  }
}
d <- do.call(rbind, rows)
write.csv(d, "tests/reference/lme4_lmm_data.csv", row.names = FALSE)
d$wave_f <- factor(d$wave)
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5),
                    check.conv.grad = .makeCC("warning", tol = 1e-6))

cr1 <- function(m) {
  # Family-level cluster-robust covariance of the GLS fixed effects, CR1 (G / (G - 1)).
  X <- getME(m, "X"); Z <- getME(m, "Z"); Lam <- getME(m, "Lambda")
  V <- Diagonal(nrow(X)) + Z %*% Lam %*% t(Lam) %*% t(Z)
  Vi <- solve(V)
  A <- as.matrix(t(X) %*% Vi %*% X); Ai <- solve(A)
  e <- as.numeric(d$y - X %*% fixef(m))
  U <- as.matrix(Vi %*% e)
  S <- rowsum(X * as.numeric(U), d$family_id)
  G <- nrow(S)
  (G / (G - 1)) * Ai %*% crossprod(S) %*% Ai
}

summarise <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  co <- summary(m)$coefficients
  av <- anova(m, type = 3, ddf = "Satterthwaite")
  list(
    anova_terms = rownames(av), anova_F = unname(av[["F value"]]),
    anova_numdf = unname(av[["NumDF"]]), anova_dendf = unname(av[["DenDF"]]),
    fixef = unname(fixef(m)), names = names(fixef(m)),
    se = unname(co[, "Std. Error"]), df = unname(co[, "df"]),
    theta = unname(getME(m, "theta")), sigma = sigma(m),
    loglik = as.numeric(logLik(m)), reml = isREML(m),
    vc_grp = vc$grp, vc_var1 = vc$var1, vc_var2 = vc$var2, vc_vcov = vc$vcov, vc_sdcor = vc$sdcor,
    robust = unname(cr1(m)),
    ranef_family_names = rownames(ranef(m)$family_id),
    ranef_family = unname(as.matrix(ranef(m)$family_id)),
    ranef_child_names = if (is.null(ranef(m)[["family_id:child_id"]])) character(0) else
      rownames(ranef(m)[["family_id:child_id"]]),
    ranef_child = if (is.null(ranef(m)[["family_id:child_id"]])) numeric(0) else
      unname(ranef(m)[["family_id:child_id"]][, 1])
  )
}

fits <- list(
  nested_reml = lmer(y ~ kb * wave_f + age + (1 | family_id) + (1 | family_id:child_id),
                     data = d, REML = TRUE, control = ctrl),
  nested_ml = lmer(y ~ kb * wave_f + age + (1 | family_id) + (1 | family_id:child_id),
                   data = d, REML = FALSE, control = ctrl),
  slope_reml = lmer(y ~ kb * wave + age + (1 + wave | family_id) + (1 | family_id:child_id),
                    data = d, REML = TRUE, control = ctrl),
  family_ml = lmer(y ~ kb * wave + age + (1 | family_id), data = d, REML = FALSE, control = ctrl)
)
out <- lapply(fits, summarise)
out$versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                     lmerTest = as.character(packageVersion("lmerTest")))
write_json(out, "tests/reference/lme4_lmm_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
