# Reference fits for kbeffect's count and ordinal GLMM kernels (tests/models/test_glmm*.py,
# tests/models/test_clmm*.py). Simulates two small cohorts, writes them as CSV, fits them with
# glmmTMB (Laplace), lme4::glmer (nAGQ = 1 and 9) and ordinal::clmm (Laplace and nAGQ = 9),
# and writes every estimate to glmmtmb_reference.json.
# Run from tests/reference:  Rscript glmmtmb_reference.R
suppressPackageStartupMessages({
  library(glmmTMB); library(lme4); library(ordinal); library(jsonlite)
})
set.seed(20260522)

# ---- family-level cohort: family x wave, unbalanced (dropout), T2 exposure = 0.5 ----------
G <- 160
fam <- data.frame(family = seq_len(G), order = rbinom(G, 1, 0.4), x = round(rnorm(G), 4))
d <- merge(fam, data.frame(wave = 0:2))
d <- d[order(d$family, d$wave), ]
keep <- !(d$wave > 0 & runif(nrow(d)) < 0.15)
d <- d[keep, ]
d$exposure <- ifelse(d$wave == 2, 0.5, 1.0)
u <- rnorm(G, 0, 0.6)[d$family]
eta <- 1.0 + 0.3 * d$order - 0.2 * (d$wave == 1) - 0.5 * (d$wave == 2) -
  0.4 * d$order * (d$wave == 2) + 0.25 * d$x + log(d$exposure) + u
mu <- exp(eta)
d$y_pois <- rpois(nrow(d), mu)
d$y_nb <- rnbinom(nrow(d), size = 2.0, mu = mu)
zi <- rbinom(nrow(d), 1, plogis(-1.0 + 0.5 * d$x))
d$y_zinb <- ifelse(zi == 1, 0L, rnbinom(nrow(d), size = 2.0, mu = mu))
d$y_zip <- ifelse(zi == 1, 0L, rpois(nrow(d), mu))
# hurdle: zero with prob pi, else zero-truncated NB / Poisson
pos_nb <- sapply(mu, function(m) { repeat { v <- rnbinom(1, size = 2.0, mu = m); if (v > 0) return(v) } })
pos_po <- sapply(mu, function(m) { repeat { v <- rpois(1, m); if (v > 0) return(v) } })
hz <- rbinom(nrow(d), 1, plogis(-0.5))
d$y_hnb <- ifelse(hz == 1, 0L, pos_nb)
d$y_hp <- ifelse(hz == 1, 0L, pos_po)
lat <- 0.8 * d$order - 0.6 * (d$wave == 2) + 0.3 * d$x + rnorm(G, 0, 1.0)[d$family] + rlogis(nrow(d))
d$severity <- as.integer(cut(lat, c(-Inf, -0.3, 1.2, Inf))) - 1L
d$wave <- factor(d$wave)
write.csv(d, "glmmtmb_family_data.csv", row.names = FALSE)

# ---- child-level cohort: family x child x wave ------------------------------------------
G2 <- 150
f2 <- data.frame(family = seq_len(G2), order = rbinom(G2, 1, 0.4), nchild = 1 + rbinom(G2, 1, 0.6))
rows <- do.call(rbind, lapply(seq_len(G2), function(j)
  expand.grid(family = j, child = seq_len(f2$nchild[j]), wave = 0:2)))
c2 <- merge(rows, f2[, c("family", "order")])
c2 <- c2[order(c2$family, c2$child, c2$wave), ]
c2 <- c2[!(c2$wave > 0 & runif(nrow(c2)) < 0.1), ]
c2$exposure <- ifelse(c2$wave == 2, 0.5, 1.0)
uf <- rnorm(G2, 0, 0.5)[c2$family]
uc <- rnorm(G2 * 2, 0, 0.4)[(c2$family - 1) * 2 + c2$child]
eta2 <- 0.8 + 0.3 * c2$order - 0.4 * (c2$wave == 2) + log(c2$exposure) + uf + uc
c2$y_pois <- rpois(nrow(c2), exp(eta2))
c2$y_nb <- rnbinom(nrow(c2), size = 3.0, mu = exp(eta2))
lat2 <- 0.7 * c2$order - 0.5 * (c2$wave == 2) + 1.5 * (uf + uc) + rlogis(nrow(c2))
c2$severity <- as.integer(cut(lat2, c(-Inf, -0.2, 1.0, Inf))) - 1L
c2$wave <- factor(c2$wave)
write.csv(c2, "glmmtmb_child_data.csv", row.names = FALSE)

# ---- fits ---------------------------------------------------------------------------------
# nlminb stops where the likelihood surface is flat to its tolerance (and reports "singular
# convergence" when asked for more); a few Newton steps on TMB's exact gradient pin the
# maximum down to ~1e-8 so the estimates are reproducible references to 1e-6 relative.
polish <- function(m) {
  par <- m$fit$par
  for (i in 1:6) {
    g <- as.numeric(m$obj$gr(par))
    H <- optimHess(par, m$obj$fn, m$obj$gr)
    par <- par - solve(H, g)
  }
  list(par = par, grad_max = max(abs(m$obj$gr(par))), loglik = -m$obj$fn(par))
}
tmb_out <- function(m) {
  pm <- polish(m)
  fe <- fixef(m)
  pp <- pm$par
  fe$cond[] <- pp[names(pp) == "beta"]
  if (length(fe$zi)) fe$zi[] <- pp[names(pp) == "betazi"]
  vc <- VarCorr(m)$cond
  V <- vcov(m, full = TRUE)
  list(
    fixed = as.list(fe$cond),
    fixed_se = as.list(sqrt(diag(vcov(m)$cond))),
    zi = if (length(fe$zi)) as.list(fe$zi) else NULL,
    zi_se = if (length(fe$zi)) as.list(sqrt(diag(vcov(m)$zi))) else NULL,
    theta = if (family(m)$family %in% c("nbinom2", "truncated_nbinom2"))
      exp(pp[names(pp) == "betad"]) else NULL,
    theta_nlminb = if (family(m)$family %in% c("nbinom2", "truncated_nbinom2")) sigma(m) else NULL,
    re_sd = as.list(setNames(exp(pp[names(pp) == "theta"]), names(vc))),
    re_sd_nlminb = lapply(vc, function(v) unname(attr(v, "stddev"))),
    fixed_nlminb = as.list(fixef(m)$cond),
    grad_max = pm$grad_max,
    loglik_nlminb = as.numeric(logLik(m)),
    full_se = as.list(setNames(sqrt(diag(V)), colnames(V))),
    loglik = pm$loglik,
    converged = m$fit$convergence == 0
  )
}
ctrl <- glmmTMBControl(optCtrl = list(iter.max = 2000, eval.max = 2000))

form <- ~ order * wave + x + offset(log(exposure)) + (1 | family)
res <- list()
res$tmb_poisson <- tmb_out(glmmTMB(update(form, y_pois ~ .), data = d, family = poisson, control = ctrl))
res$tmb_negbin <- tmb_out(glmmTMB(update(form, y_nb ~ .), data = d, family = nbinom2, control = ctrl))
res$tmb_zip <- tmb_out(glmmTMB(update(form, y_zip ~ .), data = d, family = poisson,
                               ziformula = ~ x, control = ctrl))
res$tmb_zinb <- tmb_out(glmmTMB(update(form, y_zinb ~ .), data = d, family = nbinom2,
                                ziformula = ~ x, control = ctrl))
res$tmb_hurdle_poisson <- tmb_out(glmmTMB(update(form, y_hp ~ .), data = d,
                                          family = truncated_poisson, ziformula = ~ 1, control = ctrl))
res$tmb_hurdle_negbin <- tmb_out(glmmTMB(update(form, y_hnb ~ .), data = d,
                                         family = truncated_nbinom2, ziformula = ~ 1, control = ctrl))
formc <- ~ order * wave + offset(log(exposure)) + (1 | family / child)
res$tmb_poisson_nested <- tmb_out(glmmTMB(update(formc, y_pois ~ .), data = c2, family = poisson, control = ctrl))
res$tmb_negbin_nested <- tmb_out(glmmTMB(update(formc, y_nb ~ .), data = c2, family = nbinom2, control = ctrl))

# glmer(nAGQ = 1) stops ~0.006 log-likelihood units below glmmTMB's Laplace maximum on these
# data (its two-stage optimisation); the tests use it only for nAGQ = 9.
glmer_out <- function(m) list(
  fixed = as.list(fixef(m)), fixed_se = as.list(sqrt(diag(as.matrix(vcov(m))))),
  re_sd = list(family = unname(attr(VarCorr(m)$family, "stddev"))),
  loglik = as.numeric(logLik(m)))
gctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-10))
for (k in c(1, 9)) {
  m <- glmer(y_pois ~ order * wave + x + offset(log(exposure)) + (1 | family), data = d,
             family = poisson, nAGQ = k, control = gctrl)
  res[[paste0("glmer_poisson_agq", k)]] <- glmer_out(m)
}

clmm_out <- function(m) list(
  thresholds = as.list(m$alpha), fixed = as.list(m$beta),
  se = as.list(sqrt(diag(vcov(m)))),
  re_sd = lapply(VarCorr(m), function(v) unname(attr(v, "stddev"))),
  loglik = as.numeric(logLik(m)))
# tight tolerances: clmm's defaults stop ~1e-5 log-likelihood units short of the maximum
cctrl <- clmm.control(rel.tol = 1e-13, eval.max = 1e4, iter.max = 1e4, gradTol = 1e-10)
d$sev <- factor(d$severity, ordered = TRUE)
c2$sev <- factor(c2$severity, ordered = TRUE)
res$clmm_laplace <- clmm_out(clmm(sev ~ order * wave + x + (1 | family), data = d, nAGQ = 1,
                                  control = cctrl))
res$clmm_agq9 <- clmm_out(clmm(sev ~ order * wave + x + (1 | family), data = d, nAGQ = 9,
                               control = cctrl))
c2$fc <- factor(paste(c2$family, c2$child))
res$clmm_nested <- clmm_out(clmm(sev ~ order * wave + (1 | family) + (1 | fc), data = c2,
                                 control = cctrl))

res$versions <- list(R = R.version.string, glmmTMB = as.character(packageVersion("glmmTMB")),
                     lme4 = as.character(packageVersion("lme4")),
                     ordinal = as.character(packageVersion("ordinal")))
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
           "glmmtmb_reference.json")
