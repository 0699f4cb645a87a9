-- The typed profiles, built from the departments' datasets under their catalog names (gaj_rk, rsj_persons ...; every
-- column text, dirt included). {ref} is the day the rules are judged on. fix_id / fix_uscc put back a check character
-- that a clerk mistyped (the first 17 characters identify the subject; the last is only their checksum).
CREATE OR REPLACE TEMP TABLE p_rk AS
SELECT fix_id(SFZH) AS id, max(HKXZ) AS hkxz, max(HJQH) AS hjqh, max(XB) AS xb,
       max(CASE WHEN SWBZ = '1' THEN COALESCE(TRY_CAST(SWRQ AS DATE), DATE '1900-01-01') END) AS death_rk,
       max(TRY_CAST(QCRQ AS DATE)) AS moved_out_rk, max(QWQH) AS moved_to,
       count(*) AS n, bool_or(SFZH <> fix_id(SFZH)) AS fixed
FROM gaj_rk WHERE fix_id(SFZH) IS NOT NULL GROUP BY 1;

CREATE OR REPLACE TEMP TABLE p_persons AS
SELECT fix_id(id_no) AS id, max(district_code) AS district, max(employer_uscc) AS employer, max(employment_status) AS status,
       max(TRY_CAST(monthly_wage AS INTEGER)) AS wage, count(*) AS n, bool_or(id_no <> fix_id(id_no)) AS fixed
FROM rsj_persons WHERE fix_id(id_no) IS NOT NULL GROUP BY 1;

CREATE OR REPLACE TEMP TABLE p_insurance AS
SELECT fix_id(id_no) AS id, max(TRY_CAST(pension_months AS INTEGER)) AS pension_months,
       max(TRY_CAST(unemployment_months AS INTEGER)) AS unemployment_months, max(TRY_CAST(pension_monthly AS INTEGER)) AS pension
FROM rsj_insurance WHERE fix_id(id_no) IS NOT NULL GROUP BY 1;

CREATE OR REPLACE TEMP TABLE p_dibao AS
SELECT fix_id(idNumber) AS id, max(TRY_CAST(monthlyAmount AS INTEGER)) AS benefit, count(*) AS n
FROM mzj_dibao WHERE status = 'active' AND fix_id(idNumber) IS NOT NULL GROUP BY 1;

-- The certificate number ends with the kind and grade digits: what the certificate says, where the grade column may be mistyped.
CREATE OR REPLACE TEMP TABLE p_disability AS
SELECT fix_id(idNumber) AS id,
       max(CASE WHEN length(certificateNo) = 20 THEN TRY_CAST(substr(certificateNo, 20, 1) AS INTEGER) ELSE TRY_CAST(grade AS INTEGER) END) AS grade,
       bool_or(length(certificateNo) = 20 AND grade IS DISTINCT FROM substr(certificateNo, 20, 1)) AS grade_disagrees
FROM mzj_disability WHERE fix_id(idNumber) IS NOT NULL GROUP BY 1;

CREATE OR REPLACE TEMP TABLE p_deaths AS
SELECT id, min(day) AS day, string_agg(DISTINCT source, ', ' ORDER BY source) AS sources FROM (
    SELECT fix_id(idNumber) AS id, TRY_CAST(deathDate AS DATE) AS day, 'mzj.deaths' AS source FROM mzj_deaths
    UNION ALL SELECT fix_id(person_id), TRY_CAST(substr(death_time, 1, 10) AS DATE), 'wjw.death_certificates' FROM wjw_death_certificates
    UNION ALL SELECT id, death_rk, 'gaj.rk' FROM p_rk WHERE death_rk IS NOT NULL
    UNION ALL SELECT id, NULL, 'rsj.persons' FROM p_persons WHERE status = 'deceased'
) d WHERE id IS NOT NULL GROUP BY id;

CREATE OR REPLACE TEMP TABLE p_insured AS
SELECT fix_id(psn_no) AS id, max(insu_admdvs) AS district FROM ybj_insured WHERE fix_id(psn_no) IS NOT NULL GROUP BY 1;

CREATE OR REPLACE TABLE resident_profile AS
SELECT subject, age, sex, hukou, hukou_division, district, employment, employer, social_insurance_months, unemployment_insurance_months,
       income, pension, disability_grade, dibao, dibao_benefit, dead, death_date, moved_out, moved_out_date, flags
FROM (
    SELECT rk.id AS subject,
           CAST(year(DATE '{ref}') - year(b.birth) - CASE WHEN month(DATE '{ref}') < month(b.birth) OR (month(DATE '{ref}') = month(b.birth) AND day(DATE '{ref}') < day(b.birth)) THEN 1 ELSE 0 END AS INTEGER) AS age,
           CASE rk.xb WHEN '1' THEN 'male' WHEN '2' THEN 'female' END AS sex,
           CASE rk.hkxz WHEN '1' THEN 'local' WHEN '2' THEN 'nonlocal' END AS hukou,
           rk.hjqh AS hukou_division,
           COALESCE(pe.district, ins.district) AS district,
           CASE WHEN pe.status IS NULL OR pe.status = 'deceased' THEN 'none' ELSE pe.status END AS employment,
           NULLIF(pe.employer, '') AS employer,
           CAST(CASE WHEN i.pension_months <= (year(DATE '{ref}') - year(b.birth) - 14) * 12 THEN i.pension_months WHEN i.id IS NULL THEN 0 END AS DOUBLE) AS social_insurance_months,
           CAST(COALESCE(i.unemployment_months, 0) AS DOUBLE) AS unemployment_insurance_months,
           CAST(CASE WHEN pe.status = 'employed' THEN CASE WHEN pe.wage >= 0 THEN pe.wage END ELSE 0 END AS DOUBLE) AS income,
           CAST(COALESCE(i.pension, 0) AS DOUBLE) AS pension,
           CAST(COALESCE(dis.grade, 0) AS DOUBLE) AS disability_grade,
           db.id IS NOT NULL AS dibao,
           CAST(COALESCE(db.benefit, 0) AS DOUBLE) AS dibao_benefit,
           de.id IS NOT NULL AND (de.day IS NULL OR de.day <= DATE '{ref}') AS dead,
           de.day AS death_date,
           -- 迁出: the registration moved out of Hangzhou on or before the day judged on (the police register is the record of it).
           COALESCE(rk.moved_out_rk <= DATE '{ref}', FALSE) AS moved_out,
           CASE WHEN rk.moved_out_rk <= DATE '{ref}' THEN rk.moved_out_rk END AS moved_out_date,
           concat_ws('; ',
               CASE WHEN rk.fixed THEN 'gaj.rk: ID check character corrected' END,
               CASE WHEN rk.n > 1 THEN 'gaj.rk: listed ' || rk.n || ' times' END,
               CASE WHEN pe.fixed THEN 'rsj.persons: ID check character corrected' END,
               CASE WHEN pe.n > 1 THEN 'rsj.persons: listed ' || pe.n || ' times' END,
               CASE WHEN pe.wage < 0 THEN 'rsj.persons: negative wage ignored' END,
               CASE WHEN i.pension_months > (year(DATE '{ref}') - year(b.birth) - 14) * 12 THEN 'rsj.insurance: pension months longer than a working life ignored' END,
               CASE WHEN db.n > 1 THEN 'mzj.dibao: listed ' || db.n || ' times' END,
               CASE WHEN dis.grade_disagrees THEN 'mzj.disability: grade column disagrees with the certificate; the certificate is used' END,
               CASE WHEN rk.moved_out_rk <= DATE '{ref}' THEN 'gaj.rk: household registration moved out of Hangzhou on ' || strftime(rk.moved_out_rk, '%Y-%m-%d') || COALESCE(' to ' || rk.moved_to, '') END,
               CASE WHEN de.id IS NOT NULL THEN 'deceased per ' || de.sources || CASE WHEN rk.death_rk IS NULL THEN '; gaj.rk still lists as alive' ELSE '' END END
           ) AS flags
    FROM p_rk rk
    CROSS JOIN LATERAL (SELECT TRY_CAST(strptime(substr(rk.id, 7, 8), '%Y%m%d') AS DATE) AS birth) b
    LEFT JOIN p_persons pe ON pe.id = rk.id
    LEFT JOIN p_insured ins ON ins.id = rk.id
    LEFT JOIN p_insurance i ON i.id = rk.id
    LEFT JOIN p_dibao db ON db.id = rk.id
    LEFT JOIN p_disability dis ON dis.id = rk.id
    LEFT JOIN p_deaths de ON de.id = rk.id
) r;

CREATE OR REPLACE TEMP TABLE e_qy AS
SELECT fix_uscc(uniscid) AS id, max(industryco) AS industry, max(entscale) AS size,
       max(CASE regstate WHEN '存续' THEN 'active' WHEN '注销' THEN 'cancelled' WHEN '吊销' THEN 'revoked' END) AS status,
       count(*) AS n, bool_or(uniscid <> fix_uscc(uniscid)) AS fixed
FROM scjgj_qy WHERE fix_uscc(uniscid) IS NOT NULL GROUP BY 1;

CREATE OR REPLACE TEMP TABLE e_units AS
SELECT fix_uscc(uscc) AS id, max(TRY_CAST(insured_employees AS INTEGER)) AS insured, max(TRY_CAST(unemployment_insurance_paid AS DOUBLE)) AS paid,
       max(TRY_CAST(layoffs AS INTEGER)) AS layoffs
FROM rsj_units WHERE fix_uscc(uscc) IS NOT NULL GROUP BY 1;

-- Insured employees counted person by person, for a unit whose own figure is impossible.
CREATE OR REPLACE TEMP TABLE e_counted AS
SELECT pe.employer AS id, count(*) AS insured
FROM p_persons pe JOIN p_insurance i ON i.id = pe.id
WHERE pe.status = 'employed' AND i.unemployment_months > 0 AND pe.employer <> '' GROUP BY 1;

CREATE OR REPLACE TEMP TABLE e_tax AS
SELECT id, sum(CASE WHEN v >= 0 THEN v ELSE 0 END) AS tax, count(*) FILTER (WHERE v < 0) AS negative
FROM (SELECT DISTINCT fix_uscc(nsrsbh) AS id, ssq, TRY_CAST(ynse AS DECIMAL(18, 2)) AS v FROM swj_nsr) t WHERE id IS NOT NULL GROUP BY id;

CREATE OR REPLACE TABLE enterprise_profile AS
SELECT q.id AS subject, q.industry, q.size, q.status,
       CAST(CASE WHEN u.insured >= 0 THEN u.insured ELSE COALESCE(c.insured, 0) END AS DOUBLE) AS insured_employees,
       CAST(COALESCE(u.layoffs, 0) AS DOUBLE) AS layoffs,
       COALESCE(u.paid, 0) AS unemployment_insurance_paid,
       CAST(COALESCE(t.tax, 0) AS DOUBLE) AS annual_tax,
       FALSE AS dead, FALSE AS moved_out, CAST(NULL AS DATE) AS moved_out_date,
       concat_ws('; ',
           CASE WHEN q.fixed THEN 'scjgj.qy: credit code check character corrected' END,
           CASE WHEN q.n > 1 THEN 'scjgj.qy: listed ' || q.n || ' times' END,
           CASE WHEN u.insured < 0 THEN 'rsj.units: negative insured employees; counted from rsj.persons instead' END,
           CASE WHEN t.negative > 0 THEN 'swj.nsr: ' || t.negative || ' negative monthly returns ignored' END
       ) AS flags
FROM e_qy q
LEFT JOIN e_units u ON u.id = q.id
LEFT JOIN e_counted c ON c.id = q.id
LEFT JOIN e_tax t ON t.id = q.id;

-- An explanation reads one subject's row: an index makes that a lookup instead of a scan of the whole city.
CREATE INDEX resident_profile_subject ON resident_profile (subject);
CREATE INDEX enterprise_profile_subject ON enterprise_profile (subject);
