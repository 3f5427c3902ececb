{% macro pilot_count_metrics() -%}
    {#- The count metrics of rpt_unit_metrics that also get a `<metric>_per_10k` column
        (output quantities get one too, see pilot_unit_metrics). -#}
    {{ return([
        'cases_found', 'cases_closed', 'notices_issued', 'notices_complied_on_time',
        'penalties', 'referrals_made', 'disputes_found', 'disputes_mediated',
        'disputes_resolved', 'corrected_on_spot', 'patrols', 'issues_found',
    ]) }}
{%- endmacro %}
