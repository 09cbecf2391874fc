# Reference fits for tests/models/test_bayes_*.py (kbeffect.bayes vs maximum likelihood).
#
# Simulates three small cohorts (families x 3 waves, order x wave effect, half-year
# exposure at wave 2, family random intercepts) and fits them with glmmTMB:
#   negbin        y ~ kb * factor(wave) + offset(log(exposure)) + (1 | family_id), nbinom2
#   zinb          same, nbinom2 with ziformula = ~1
#   hurdle_negbin same, truncated_nbinom2 with ziformula = ~1
# Writes bayes_glmmtmb_data.csv (the data; one column per response) and
# bayes_glmmtmb.json (estimates, standard errors, theta, zi, random-effect SD, logLik).
# Run from this directory:  Rscript bayes_glmmtmb.R
suppressPackageStartupMessages({
  library(glmmTMB)
  library(jsonlite)
})
set.seed(20261122)
n_fam <- 120
d <- expand.grid(wave = 0:2, family_id = seq_len(n_fam))
kb_fam <- rbinom(n_fam, 1, 0.5)
u_fam <- rnorm(n_fam, 0, 0.5)
d$kb <- kb_fam[d$family_id]
d$exposure <- ifelse(d$wave == 2, 0.5, 1.0)
eta <- 1.2 + 0.2 * d$kb - 0.2 * (d$wave == 1) - 0.3 * (d$wave == 2) +
  log(0.6) * d$kb * (d$wave > 0) + u_fam[d$family_id] + log(d$exposure)
mu <- exp(eta)
theta <- 1.5
d$y_nb <- rnbinom(nrow(d), size = theta, mu = mu)
zero <- rbinom(nrow(d), 1, 0.3)
d$y_zinb <- ifelse(zero == 1, 0L, rnbinom(nrow(d), size = theta, mu = mu))
# hurdle: zero with probability 0.35, otherwise a zero-truncated NB draw
draw_trunc <- function(m) {
  repeat {
    v <- rnbinom(1, size = theta, mu = m)
    if (v > 0) return(v)
  }
}
hurdle_zero <- rbinom(nrow(d), 1, 0.35)
d$y_hurdle <- ifelse(hurdle_zero == 1, 0L, vapply(mu, draw_trunc, numeric(1)))

fit_one <- function(resp, family, zi) {
  f <- as.formula(paste(resp, "~ kb * factor(wave) + offset(log(exposure)) + (1 | family_id)"))
  m <- glmmTMB(f, data = d, family = family, ziformula = zi)
  cf <- summary(m)$coefficients$cond
  out <- list(
    terms = rownames(cf), estimate = unname(cf[, "Estimate"]),
    std_error = unname(cf[, "Std. Error"]),
    theta = unname(sigma(m)),
    sd_family = unname(attr(VarCorr(m)$cond$family_id, "stddev")),
    logLik = as.numeric(logLik(m))
  )
  if (!identical(zi, ~0)) {
    z <- summary(m)$coefficients$zi
    out$zi <- unname(z[1, "Estimate"])
    out$zi_se <- unname(z[1, "Std. Error"])
  }
  out
}
res <- list(
  glmmTMB_version = as.character(packageVersion("glmmTMB")),
  negbin = fit_one("y_nb", nbinom2(), ~0),
  zinb = fit_one("y_zinb", nbinom2(), ~1),
  hurdle_negbin = fit_one("y_hurdle", truncated_nbinom2(), ~1)
)
write.csv(d[, c("family_id", "wave", "kb", "exposure", "y_nb", "y_zinb", "y_hurdle")],
          "bayes_glmmtmb_data.csv", row.names = FALSE)
write_json(res, "bayes_glmmtmb.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
