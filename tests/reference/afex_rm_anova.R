# Reference values for kbeffect.rm_anova (tests/models/test_anova_reference.py).
#
# Simulates small three- and four-wave designs (balanced and unbalanced, one or two
# between factors, two and three groups, some incomplete subjects), fits them with
# afex::aov_car (type 3 sums of squares; car::Anova on the multivariate model with
# orthonormal within contrasts) and writes
#   afex_rm_data_<design>.csv   the long data (inputs; values rounded to 3 decimals)
#   afex_rm_results.json        every statistic, printed with 17 significant digits
# Run from this directory:  Rscript afex_rm_anova.R
# R 4.2.2, afex 1.2.1, car 3.1.1, emmeans (Debian packages).
suppressPackageStartupMessages({
  library(afex)
  library(car)
  library(emmeans)
  library(jsonlite)
})
afex_options(check_contrasts = TRUE, type = 3)
emm_options(msg.interaction = FALSE)

simulate <- function(sizes, n_waves, seed, second = NULL, n_missing = 0) {
  set.seed(seed)
  groups <- rep(names(sizes), times = sizes)
  n <- length(groups)
  id <- sprintf("s%03d", seq_len(n))
  sex <- if (is.null(second)) NULL else sample(second, n, replace = TRUE)
  waves <- paste0("T", seq_len(n_waves) - 1)
  g_eff <- setNames(seq(0, by = 1.5, length.out = length(sizes)), names(sizes))
  rows <- list()
  u <- rnorm(n, sd = 2)
  for (i in seq_len(n)) {
    for (w in seq_len(n_waves)) {
      mu <- 10 + u[i] - 1.2 * (w - 1) + g_eff[groups[i]] * (w - 1) / 2 +
        if (!is.null(sex)) 0.8 * (sex[i] == second[1]) * (w == 2) else 0
      rows[[length(rows) + 1]] <- data.frame(
        id = id[i], group = groups[i], wave = waves[w],
        y = round(mu + rnorm(1, sd = 1.5 + 0.4 * w), 3)
      )
      if (!is.null(sex)) rows[[length(rows)]]$sex <- sex[i]
    }
  }
  d <- do.call(rbind, rows)
  if (n_missing > 0) {
    drop_ids <- id[seq(2, by = 3, length.out = n_missing)]
    d$y[d$id %in% drop_ids & d$wave == waves[n_waves]] <- NA
  }
  d
}

designs <- list(
  bal2 = list(sizes = c(kb = 12, vol = 12), n_waves = 3, seed = 1),
  unbal2 = list(sizes = c(kb = 15, vol = 9), n_waves = 3, seed = 2, n_missing = 2),
  unbal3 = list(sizes = c(kb = 14, prev = 8, vol = 11), n_waves = 3, seed = 3),
  unbal3w4 = list(sizes = c(kb = 13, prev = 7, vol = 10), n_waves = 4, seed = 4),
  twobetween = list(sizes = c(kb = 17, vol = 13), n_waves = 3, seed = 5, second = c("f", "m")),
  nobetween = list(sizes = c(all = 20), n_waves = 4, seed = 6)
)

# Numbers are written as strings with 17 significant digits (jsonlite prints at most 15).
full_precision <- function(x) {
  if (is.data.frame(x)) {
    rn <- rownames(x)
    x[] <- lapply(x, full_precision)
    rownames(x) <- rn
    return(x)
  }
  if (is.list(x)) return(lapply(x, full_precision))
  if (is.double(x)) return(ifelse(is.na(x), NA_character_, sprintf("%.17g", x)))
  x
}

stats_mv <- function(SSPH, SSPE, q, df_res) {
  eig <- Re(eigen(qr.coef(qr(SSPE), SSPH), symmetric = FALSE)$values)
  out <- rbind(
    Pillai = stats:::Pillai(eig, q, df_res),
    Wilks = stats:::Wilks(eig, q, df_res),
    `Hotelling-Lawley` = stats:::HL(eig, q, df_res),
    Roy = stats:::Roy(eig, q, df_res)
  )
  colnames(out) <- c("stat", "F", "df1", "df2")
  p <- pf(out[, "F"], out[, "df1"], out[, "df2"], lower.tail = FALSE)
  data.frame(test = rownames(out), out, p = p, row.names = NULL)
}

results <- list()
for (name in names(designs)) {
  spec <- designs[[name]]
  d <- simulate(spec$sizes, spec$n_waves, spec$seed, spec$second,
                if (is.null(spec$n_missing)) 0 else spec$n_missing)
  write.csv(d, sprintf("afex_rm_data_%s.csv", name), row.names = FALSE)
  between <- c(if (length(spec$sizes) > 1) "group", if (!is.null(spec$second)) "sex")
  form <- if (length(between)) {
    as.formula(paste("y ~", paste(between, collapse = " * "), "+ Error(id/wave)"))
  } else {
    y ~ Error(id / wave)
  }
  dd <- d[!is.na(d$y), ]
  fit <- suppressWarnings(suppressMessages(aov_car(form, data = dd, type = 3)))
  s <- summary(fit$Anova, multivariate = TRUE)
  uni <- as.data.frame(unclass(s$univariate.tests))
  uni$term <- rownames(uni)
  tab <- anova(fit, es = c("pes", "ges"), correction = "none")
  tab$term <- rownames(tab)
  tab_obs <- if (length(between)) {
    t2 <- anova(fit, es = "ges", observed = "group", correction = "none")
    data.frame(term = rownames(t2), ges = t2$ges)
  } else NULL
  sph <- if (!is.null(s$sphericity.tests) && nrow(s$sphericity.tests)) {
    x <- as.data.frame(unclass(s$sphericity.tests)); x$term <- rownames(x); x
  } else NULL
  adj <- if (!is.null(s$pval.adjustments) && nrow(s$pval.adjustments)) {
    x <- as.data.frame(unclass(s$pval.adjustments)); x$term <- rownames(x); x
  } else NULL
  mv <- list()
  for (term in names(s$multivariate.tests)) {
    h <- s$multivariate.tests[[term]]
    mv[[term]] <- stats_mv(h$SSPH, h$SSPE, h$df, h$df.residual)
  }
  # pairwise wave comparisons on the multivariate model (SPSS EMMEANS ... COMPARE(wave))
  emm <- emmeans(fit, ~wave, model = "multivariate")
  pw <- list()
  for (a in c("none", "bonferroni", "holm")) {
    x <- as.data.frame(summary(pairs(emm, reverse = FALSE), adjust = a, infer = c(TRUE, TRUE)))
    pw[[a]] <- x
  }
  pw_by <- if ("group" %in% between) {
    e2 <- emmeans(fit, ~wave | group, model = "multivariate")
    as.data.frame(summary(pairs(e2), adjust = "holm"))
  } else NULL
  n_excluded <- length(unique(d$id)) - nrow(fit$data$wide)
  results[[name]] <- list(
    between = between, n_subjects = nrow(fit$data$wide), n_excluded = n_excluded,
    univariate = uni, anova = tab, ges_observed_group = tab_obs,
    sphericity = sph, adjustments = adj, multivariate = mv,
    pairwise = pw, pairwise_by_group = pw_by,
    cell_means = as.data.frame(emmeans(fit, ~wave, model = "multivariate"))
  )
}
# two within factors (wave x rater), unbalanced groups
set.seed(7)
n2 <- c(kb = 11, vol = 8)
g2 <- rep(names(n2), times = n2)
d2 <- expand.grid(rater = c("child", "parent"), wave = c("T0", "T1", "T2"),
                  id = sprintf("s%03d", seq_along(g2)), stringsAsFactors = FALSE)
d2$group <- g2[match(d2$id, sprintf("s%03d", seq_along(g2)))]
u2 <- rnorm(length(g2), sd = 2)[match(d2$id, sprintf("s%03d", seq_along(g2)))]
w2 <- match(d2$wave, c("T0", "T1", "T2")) - 1
d2$y <- round(10 + u2 - w2 + 0.7 * (d2$rater == "parent") * w2 + (d2$group == "kb") * w2 +
              rnorm(nrow(d2), sd = 1 + 0.5 * w2), 3)
d2 <- d2[, c("id", "group", "wave", "rater", "y")]
write.csv(d2, "afex_rm_data_twowithin.csv", row.names = FALSE)
fit2 <- suppressMessages(aov_car(y ~ group + Error(id / (wave * rater)), data = d2, type = 3))
s2 <- summary(fit2$Anova, multivariate = TRUE)
uni2 <- as.data.frame(unclass(s2$univariate.tests)); uni2$term <- rownames(uni2)
tab2 <- anova(fit2, es = c("pes", "ges"), correction = "none"); tab2$term <- rownames(tab2)
sph2 <- as.data.frame(unclass(s2$sphericity.tests)); sph2$term <- rownames(sph2)
adj2 <- as.data.frame(unclass(s2$pval.adjustments)); adj2$term <- rownames(adj2)
mv2 <- list()
for (term in names(s2$multivariate.tests)) {
  h <- s2$multivariate.tests[[term]]
  mv2[[term]] <- stats_mv(h$SSPH, h$SSPE, h$df, h$df.residual)
}
emm2 <- emmeans(fit2, ~wave, model = "multivariate")
results[["twowithin"]] <- list(
  between = "group", within = c("wave", "rater"), n_subjects = nrow(fit2$data$wide),
  n_excluded = 0, univariate = uni2, anova = tab2, ges_observed_group = NULL,
  sphericity = sph2, adjustments = adj2, multivariate = mv2,
  pairwise = list(
    none = as.data.frame(summary(pairs(emm2), adjust = "none", infer = c(TRUE, TRUE))),
    bonferroni = as.data.frame(summary(pairs(emm2), adjust = "bonferroni", infer = c(TRUE, TRUE))),
    holm = as.data.frame(summary(pairs(emm2), adjust = "holm", infer = c(TRUE, TRUE)))
  ),
  pairwise_by_group = NULL,
  cell_means = as.data.frame(emm2)
)
writeLines(toJSON(full_precision(results), digits = NA, pretty = TRUE, na = "null", auto_unbox = TRUE),
           "afex_rm_results.json")
